-- source: issue 15 §3 (UNIQUE with INCLUDE lost when added online)
-- == current ==
CREATE TABLE orders (id integer PRIMARY KEY, ref text NOT NULL, total numeric);
INSERT INTO orders VALUES (1, 'a', 10), (2, 'b', 20);
-- == declared ==
CREATE TABLE orders (id integer PRIMARY KEY, ref text NOT NULL, total numeric,
  CONSTRAINT orders_ref_key UNIQUE (ref) INCLUDE (total));
