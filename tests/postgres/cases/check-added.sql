-- source: migra fixture "constraints"
-- == current ==
CREATE TABLE items (id integer PRIMARY KEY, price numeric NOT NULL);
INSERT INTO items VALUES (1, 5), (2, 7);
-- == declared ==
CREATE TABLE items (id integer PRIMARY KEY, price numeric NOT NULL CHECK (price > 0));
