-- source: issue 15 §3 (found by tests/postgres/test_plan_properties.py: an extra function a column's DEFAULT calls, the files drop both the DEFAULT and the function; the function was dropped before the DEFAULT: "other objects depend on it", 70)
-- command: repair
-- args: --prune --allow-data-loss
-- == current ==
CREATE FUNCTION double_it(x integer) RETURNS integer LANGUAGE sql IMMUTABLE AS 'SELECT x * 2';
CREATE TABLE child (id integer PRIMARY KEY, qty integer DEFAULT double_it(1));
INSERT INTO child VALUES (1, 5), (2, 7);
-- == declared ==
CREATE TABLE child (id integer PRIMARY KEY, qty integer);
