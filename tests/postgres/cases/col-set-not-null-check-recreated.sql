-- source: pg-schema-diff acceptance "Set NOT NULL (dropping valid CC via recreation)"
-- == current ==
CREATE TABLE foobar (id integer PRIMARY KEY, v varchar(255));
ALTER TABLE foobar ADD CONSTRAINT foobar CHECK (v IS NOT NULL);
INSERT INTO foobar VALUES (1, 'x');
-- == declared ==
CREATE TABLE foobar (id integer PRIMARY KEY, v varchar(255) NOT NULL);
ALTER TABLE foobar ADD CONSTRAINT foobar CHECK (length(v) > 0);
