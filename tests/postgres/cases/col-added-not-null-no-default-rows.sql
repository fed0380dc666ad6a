-- source: pg-schema-diff acceptance "Add one column with nullability" (rows present: no value to give them)
-- expect: refused 3
-- message: my_new_column
-- == current ==
CREATE TABLE foobar (id integer PRIMARY KEY);
INSERT INTO foobar VALUES (1), (2);
-- == declared ==
CREATE TABLE foobar (id integer PRIMARY KEY, my_new_column varchar(255) NOT NULL);
