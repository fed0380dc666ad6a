-- source: issue 15 §3 (a UNIQUE whose INCLUDE list changes)
-- == current ==
CREATE TABLE orders (id integer PRIMARY KEY, ref text NOT NULL, total numeric, CONSTRAINT orders_ref_key UNIQUE (ref));
INSERT INTO orders VALUES (1, 'a', 10), (2, 'b', 20);
-- == declared ==
CREATE TABLE orders (id integer PRIMARY KEY, ref text NOT NULL, total numeric,
  CONSTRAINT orders_ref_key UNIQUE (ref) INCLUDE (total));
