-- source: pg-schema-diff acceptance "Add one column with nullability" (empty table)
-- == current ==
CREATE TABLE foobar (id integer PRIMARY KEY);
-- == declared ==
CREATE TABLE foobar (id integer PRIMARY KEY, my_new_column varchar(255) NOT NULL);
