-- source: pg-schema-diff acceptance "Alter an Inheritable check constraint to be No-Inherit"
-- == current ==
CREATE TABLE foobar (id integer PRIMARY KEY, bar integer);
ALTER TABLE foobar ADD CONSTRAINT bar_check CHECK (bar > 0);
INSERT INTO foobar VALUES (1, 5);
-- == declared ==
CREATE TABLE foobar (id integer PRIMARY KEY, bar integer);
ALTER TABLE foobar ADD CONSTRAINT bar_check CHECK (bar > 0) NO INHERIT;
