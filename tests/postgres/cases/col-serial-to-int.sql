-- source: pg-schema-diff acceptance "Modify data type (serial -> int)"
-- command: repair --yes --prune --allow-data-loss
-- verify: SELECT sum(n) = 3 FROM foobar
-- == current ==
CREATE TABLE foobar (id integer PRIMARY KEY, n serial NOT NULL);
INSERT INTO foobar (id) VALUES (1), (2);
-- == declared ==
CREATE TABLE foobar (id integer PRIMARY KEY, n integer NOT NULL);
