-- source: issue 15 §4 (range types were accepted and never compared: a changed one is created again while nothing uses it)
-- verify: SELECT EXISTS (SELECT 1 FROM pg_range WHERE rngtypid = 'floatrange'::regtype AND rngsubdiff = 'float8mi'::regproc)
-- == current ==
CREATE TYPE floatrange AS RANGE (subtype = float8);
-- == declared ==
CREATE TYPE floatrange AS RANGE (subtype = float8, subtype_diff = float8mi);
