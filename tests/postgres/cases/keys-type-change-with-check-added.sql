-- source: pg-schema-diff acceptance "Set NOT NULL (data type change with additional CC)"; issue 15 §3 (operator does not exist: character varying > integer)
-- command: repair
-- args: --yes
-- == current ==
CREATE TABLE foobar (id integer PRIMARY KEY, foobar varchar(255));
INSERT INTO foobar VALUES (1, '3'), (2, '4');
-- == declared ==
CREATE TABLE foobar (id integer PRIMARY KEY, foobar integer NOT NULL CHECK (foobar > 0));
