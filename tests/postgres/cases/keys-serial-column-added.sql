-- source: pg-schema-diff acceptance "Add one column with serial"
-- command: repair
-- args: --yes
-- == current ==
CREATE TABLE foobar (id integer PRIMARY KEY);
INSERT INTO foobar VALUES (1), (2);
-- == declared ==
CREATE TABLE foobar (id integer PRIMARY KEY, my_new_column serial NOT NULL);
