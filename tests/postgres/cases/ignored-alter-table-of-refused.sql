-- source: issue 15 §4 (ALTER TABLE … OF type was accepted, never compared)
-- expect: refused 65
-- message: 001_schema.sql:4: typed tables (ALTER TABLE … OF point2) are not managed
-- == current ==
-- == declared ==
CREATE TYPE point2 AS (x integer, y integer);
CREATE TABLE points (x integer, y integer);
ALTER TABLE points OF point2;
