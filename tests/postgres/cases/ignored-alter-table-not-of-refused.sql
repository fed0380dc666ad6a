-- source: issue 15 §4 (ALTER TABLE … NOT OF was accepted; typed tables are not managed)
-- expect: refused 65
-- message: 001_schema.sql:2: typed tables (ALTER TABLE … NOT OF) are not managed
-- == current ==
-- == declared ==
ALTER TABLE points NOT OF;
