-- source: issue 15 §4 (every constraint gets its precheck before the commit: a CHECK on a column the same plan adds, whose default breaks it)
-- expect: refused 3
-- message: qty
-- == current ==
CREATE TABLE items (id integer PRIMARY KEY, price numeric);
INSERT INTO items VALUES (1, 5), (2, 6);
-- == declared ==
CREATE TABLE items (id integer PRIMARY KEY, price numeric,
  qty integer NOT NULL DEFAULT 0 CONSTRAINT qty_positive CHECK (qty > 0));
