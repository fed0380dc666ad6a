-- source: pg-schema-diff acceptance "Alter an invalid check constraint to be valid"
-- == current ==
CREATE TABLE foobar (id integer PRIMARY KEY, bar integer);
ALTER TABLE foobar ADD CONSTRAINT bar_check CHECK (bar > 0) NOT VALID;
INSERT INTO foobar VALUES (1, 5);
-- == declared ==
CREATE TABLE foobar (id integer PRIMARY KEY, bar integer);
ALTER TABLE foobar ADD CONSTRAINT bar_check CHECK (bar > 0);
