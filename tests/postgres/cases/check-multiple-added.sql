-- source: pg-schema-diff acceptance "Add multiple check constraints"
-- == current ==
CREATE TABLE foobar (id integer PRIMARY KEY, foo varchar(255), bar integer);
INSERT INTO foobar VALUES (1, 'x', 3);
-- == declared ==
CREATE TABLE foobar (id integer PRIMARY KEY, foo varchar(255) CHECK (foo != ''), bar integer CHECK (bar > 0), CHECK (id < 1000));
