-- source: issue 15 §4 (a NO INHERIT CHECK changed over violating rows: the old one was dropped and committed, the new one's VALIDATE failed)
-- expect: refused 3
-- message: price_pos
-- == current ==
CREATE TABLE items (id integer PRIMARY KEY, price numeric NOT NULL,
  CONSTRAINT price_pos CHECK (price > -100) NO INHERIT);
INSERT INTO items VALUES (1, 5), (2, -7);
-- == declared ==
CREATE TABLE items (id integer PRIMARY KEY, price numeric NOT NULL,
  CONSTRAINT price_pos CHECK (price > 0) NO INHERIT);
