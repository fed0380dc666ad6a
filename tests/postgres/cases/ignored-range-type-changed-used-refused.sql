-- source: issue 15 §4 (a range type in use cannot be altered: refused before anything runs)
-- expect: refused 3
-- message: range type floatrange
-- == current ==
CREATE TYPE floatrange AS RANGE (subtype = float8);
CREATE TABLE slots (id integer PRIMARY KEY, during floatrange);
INSERT INTO slots VALUES (1, '[1,2)');
-- == declared ==
CREATE TYPE floatrange AS RANGE (subtype = float8, subtype_diff = float8mi);
CREATE TABLE slots (id integer PRIMARY KEY, during floatrange);
