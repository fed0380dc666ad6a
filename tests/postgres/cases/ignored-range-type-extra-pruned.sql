-- source: issue 15 §4 (a live range type the files do not declare is an extra like any type)
-- command: repair --yes --prune
-- == current ==
CREATE TYPE floatrange AS RANGE (subtype = float8);
CREATE TABLE slots (id integer PRIMARY KEY);
-- == declared ==
CREATE TABLE slots (id integer PRIMARY KEY);
