-- source: issue 15 §4 (a UNIQUE on a column the same plan adds with a constant default: duplicates on every row)
-- expect: refused 3
-- message: code
-- == current ==
CREATE TABLE items (id integer PRIMARY KEY);
INSERT INTO items VALUES (1), (2);
-- == declared ==
CREATE TABLE items (id integer PRIMARY KEY, code text NOT NULL DEFAULT 'x' UNIQUE);
