-- source: pg-schema-diff acceptance "Modify data type (int -> serial)"
-- verify: SELECT nextval('foobar_n_seq') = 21
-- == current ==
CREATE TABLE foobar (id integer PRIMARY KEY, n integer NOT NULL);
INSERT INTO foobar VALUES (1, 10), (2, 20);
-- == declared ==
CREATE TABLE foobar (id integer PRIMARY KEY, n serial NOT NULL);
