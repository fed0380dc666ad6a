-- source: pg-schema-diff acceptance "Add check constraint that fails validation"
-- expect: refused 3
-- message: price
-- == current ==
CREATE TABLE items (id integer PRIMARY KEY, price numeric NOT NULL);
INSERT INTO items VALUES (1, 5), (2, -7);
-- == declared ==
CREATE TABLE items (id integer PRIMARY KEY, price numeric NOT NULL CHECK (price > 0));
