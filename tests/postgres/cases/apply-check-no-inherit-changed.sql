-- source: issue 15 §4 (a NO INHERIT CHECK changed, rows satisfy it)
-- verify: SELECT connoinherit FROM pg_constraint WHERE conname = 'price_pos'
-- == current ==
CREATE TABLE items (id integer PRIMARY KEY, price numeric NOT NULL,
  CONSTRAINT price_pos CHECK (price > -100) NO INHERIT);
INSERT INTO items VALUES (1, 5), (2, 7);
-- == declared ==
CREATE TABLE items (id integer PRIMARY KEY, price numeric NOT NULL,
  CONSTRAINT price_pos CHECK (price > 0) NO INHERIT);
