-- source: issue 15 §4 (a domain CHECK added while a column of that domain holds a value it refuses; migra fixture "domains" in spirit)
-- expect: refused 3
-- message: pos_check
-- == current ==
CREATE DOMAIN pos AS integer;
CREATE TABLE items (id integer PRIMARY KEY, q pos);
INSERT INTO items VALUES (1, -1), (2, 3), (3, NULL);
-- == declared ==
CREATE DOMAIN pos AS integer CONSTRAINT pos_check CHECK (VALUE > 0);
CREATE TABLE items (id integer PRIMARY KEY, q pos);
