-- source: pg-schema-diff acceptance "Add one column with serial"
-- command: repair --yes
-- verify: SELECT count(DISTINCT my_new_column) = 2 FROM foobar
-- == current ==
CREATE TABLE foobar (id integer PRIMARY KEY);
INSERT INTO foobar VALUES (1), (2);
-- == declared ==
CREATE TABLE foobar (id integer PRIMARY KEY, my_new_column serial NOT NULL);
