-- source: pg-schema-diff acceptance "Drop check constraint"
-- command: repair --yes --prune
-- == current ==
CREATE TABLE foobar (id integer PRIMARY KEY, bar integer CHECK (bar > 0));
INSERT INTO foobar VALUES (1, 5);
-- == declared ==
CREATE TABLE foobar (id integer PRIMARY KEY, bar integer);
