-- source: pg-schema-diff acceptance "Add one column with all options"
-- == current ==
CREATE TABLE foobar (id integer PRIMARY KEY);
INSERT INTO foobar VALUES (1);
-- == declared ==
CREATE TABLE foobar (id integer PRIMARY KEY, my_new_column varchar(255) COLLATE "C" NOT NULL DEFAULT 'a');
