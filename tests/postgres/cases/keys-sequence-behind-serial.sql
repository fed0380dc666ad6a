-- source: issue 15 §3 / postgres.md "Sequences" (rows copied in with explicit ids: the serial sequence is behind)
-- verify: SELECT last_value = 42 AND is_called FROM items_id_seq
-- verify: SELECT nextval('items_id_seq') = 43
-- == current ==
CREATE TABLE items (id serial PRIMARY KEY, name text);
INSERT INTO items VALUES (1, 'a'), (42, 'b');
-- == declared ==
CREATE TABLE items (id serial PRIMARY KEY, name text);
