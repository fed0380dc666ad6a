-- source: issue 15 §4 (ALTER COLUMN … TYPE resets the storage to the new type's: a declared storage is set again after it)
-- == current ==
CREATE TABLE docs (id integer PRIMARY KEY, code varchar(10));
ALTER TABLE docs ALTER COLUMN code SET STORAGE MAIN;
INSERT INTO docs VALUES (1, 'c');
-- == declared ==
CREATE TABLE docs (id integer PRIMARY KEY, code varchar(40));
ALTER TABLE docs ALTER COLUMN code SET STORAGE MAIN;
ALTER TABLE docs ALTER COLUMN code SET COMPRESSION pglz;
