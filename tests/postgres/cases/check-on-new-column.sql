-- source: pg-schema-diff acceptance "Add check constraints to new column"
-- == current ==
CREATE TABLE foobar (id integer PRIMARY KEY);
INSERT INTO foobar VALUES (1);
-- == declared ==
CREATE TABLE foobar (id integer PRIMARY KEY, bar integer CHECK (bar > 0));
