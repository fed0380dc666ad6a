-- source: pg-schema-diff acceptance "Set NOT NULL"
-- == current ==
CREATE TABLE foobar (id integer PRIMARY KEY, v varchar(255));
INSERT INTO foobar VALUES (1, 'x');
-- == declared ==
CREATE TABLE foobar (id integer PRIMARY KEY, v varchar(255) NOT NULL);
