-- source: issue 15 §4 (ALTER COLUMN … SET STORAGE was accepted, never applied)
-- == current ==
CREATE TABLE docs (id integer PRIMARY KEY, body text, raw bytea, code varchar(20));
ALTER TABLE docs ALTER COLUMN code SET STORAGE PLAIN;
INSERT INTO docs VALUES (1, 'x', '\x00', 'c');
-- == declared ==
CREATE TABLE docs (id integer PRIMARY KEY, body text, raw bytea, code varchar(20));
ALTER TABLE ONLY docs ALTER COLUMN body SET STORAGE EXTERNAL;
ALTER TABLE ONLY docs ALTER COLUMN raw SET STORAGE MAIN;
