-- source: issue 15 §4 (a live typed table declared as a plain one was in sync)
-- == current ==
CREATE TYPE point2 AS (x integer, y integer);
CREATE TABLE points OF point2;
INSERT INTO points VALUES (1, 2);
-- == declared ==
CREATE TYPE point2 AS (x integer, y integer);
CREATE TABLE points (x integer, y integer);
