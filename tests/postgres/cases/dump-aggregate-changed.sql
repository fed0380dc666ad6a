-- source: issue 15 §3 (an aggregate's INITCOND changed: CREATE OR REPLACE AGGREGATE)
-- verify: SELECT total(n) = 103 FROM t
-- == current ==
CREATE TABLE t (n integer);
INSERT INTO t VALUES (1), (2);
CREATE FUNCTION add2(integer, integer) RETURNS integer LANGUAGE sql IMMUTABLE AS 'SELECT $1 + $2';
CREATE AGGREGATE total(integer) (SFUNC = add2, STYPE = integer, INITCOND = '0');
-- == declared ==
CREATE TABLE t (n integer);
CREATE FUNCTION add2(integer, integer) RETURNS integer LANGUAGE sql IMMUTABLE AS 'SELECT $1 + $2';
CREATE AGGREGATE total(integer) (SFUNC = add2, STYPE = integer, INITCOND = '100');
