-- source: pg-schema-diff acceptance "Modify data type (varchar -> TEXT) with compatible default"
-- verify: SELECT count(*) = 1 FROM foobar WHERE v = 'x'
-- == current ==
CREATE TABLE foobar (id integer PRIMARY KEY, v varchar(255) DEFAULT 'some default' NOT NULL);
INSERT INTO foobar VALUES (1, 'x');
-- == declared ==
CREATE TABLE foobar (id integer PRIMARY KEY, v text DEFAULT 'some default' NOT NULL);
