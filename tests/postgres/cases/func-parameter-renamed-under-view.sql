-- source: pg-schema-diff acceptance "Change function parameter name" in spirit (CREATE OR REPLACE cannot rename a parameter: the function is dropped and created again, with the view that calls it)
-- == current ==
CREATE FUNCTION add_one(x integer) RETURNS integer LANGUAGE sql IMMUTABLE AS 'SELECT x + 1';
CREATE TABLE t (id integer PRIMARY KEY);
INSERT INTO t VALUES (1), (2);
CREATE VIEW v AS SELECT add_one(id) AS n FROM t;
-- == declared ==
CREATE FUNCTION add_one(y integer) RETURNS integer LANGUAGE sql IMMUTABLE AS 'SELECT y + 1';
CREATE TABLE t (id integer PRIMARY KEY);
CREATE VIEW v AS SELECT add_one(id) AS n FROM t;
