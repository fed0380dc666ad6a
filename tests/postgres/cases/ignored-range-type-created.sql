-- source: issue 15 §4 (CREATE TYPE … AS RANGE was accepted and never created: init then failed on the table using it)
-- verify: SELECT EXISTS (SELECT 1 FROM pg_range WHERE rngtypid = 'floatrange'::regtype AND rngsubdiff = 'float8mi'::regproc)
-- == current ==
-- == declared ==
CREATE TYPE floatrange AS RANGE (subtype = float8, subtype_diff = float8mi);
CREATE TYPE textrange AS RANGE (subtype = text, collation = "C", multirange_type_name = textranges);
CREATE TABLE slots (id integer PRIMARY KEY, during floatrange, names textranges);
