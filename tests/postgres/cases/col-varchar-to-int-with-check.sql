-- source: pg-schema-diff acceptance "Set NOT NULL (data type change with additional CC)"
-- command: repair --yes
-- verify: SELECT sum(v) = 12 FROM foobar
-- == current ==
CREATE TABLE foobar (id integer PRIMARY KEY, v varchar(255));
INSERT INTO foobar VALUES (1, '5'), (2, '7');
-- == declared ==
CREATE TABLE foobar (id integer PRIMARY KEY, v integer NOT NULL CHECK (v > 0));
