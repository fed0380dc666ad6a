-- source: psqldef case "AlterTypeAttribute" (an attribute's type changes while a table column uses the type: PostgreSQL cannot)
-- expect: refused 3
-- message: composite type pair
-- == current ==
CREATE TYPE pair AS (a integer, b integer);
CREATE TABLE t (id integer PRIMARY KEY, p pair);
INSERT INTO t VALUES (1, ROW(1, 2)::pair);
-- == declared ==
CREATE TYPE pair AS (a integer, b bigint);
CREATE TABLE t (id integer PRIMARY KEY, p pair);
