-- source: issue 15 §4 (CREATE TABLE … OF type was accepted, never compared)
-- expect: refused 65
-- message: 001_schema.sql:3: typed tables (CREATE TABLE … OF point2) are not managed
-- == current ==
-- == declared ==
CREATE TYPE point2 AS (x integer, y integer);
CREATE TABLE points OF point2 (PRIMARY KEY (x, y));
