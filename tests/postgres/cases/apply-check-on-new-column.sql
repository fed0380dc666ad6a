-- source: pg-schema-diff acceptance "Add column with check constraint" (rows present)
-- verify: SELECT count(*) = 2 FROM items WHERE qty = 1
-- == current ==
CREATE TABLE items (id integer PRIMARY KEY, price numeric);
INSERT INTO items VALUES (1, 5), (2, 6);
-- == declared ==
CREATE TABLE items (id integer PRIMARY KEY, price numeric,
  qty integer NOT NULL DEFAULT 1 CONSTRAINT qty_positive CHECK (qty > 0));
