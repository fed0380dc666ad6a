-- source: pg-schema-diff acceptance "Set NOT NULL (invalid CC already exists)"
-- == current ==
CREATE TABLE foobar (id integer PRIMARY KEY, v varchar(255));
ALTER TABLE foobar ADD CONSTRAINT foobar CHECK (v IS NOT NULL) NOT VALID;
INSERT INTO foobar VALUES (1, 'x');
-- == declared ==
CREATE TABLE foobar (id integer PRIMARY KEY, v varchar(255) NOT NULL);
ALTER TABLE foobar ADD CONSTRAINT foobar CHECK (v IS NOT NULL) NOT VALID;
