-- source: pg-schema-diff acceptance "Set NOT NULL" (a NULL row: refused before anything runs)
-- expect: refused 3
-- message: v
-- == current ==
CREATE TABLE foobar (id integer PRIMARY KEY, v varchar(255));
INSERT INTO foobar VALUES (1, 'x'), (2, NULL);
-- == declared ==
CREATE TABLE foobar (id integer PRIMARY KEY, v varchar(255) NOT NULL);
