-- source: postgres.md "Sequences" (a sequence ahead of its column is never moved back)
-- verify: SELECT last_value = 1000 FROM items_id_seq
-- == current ==
CREATE TABLE items (id serial PRIMARY KEY, name text);
INSERT INTO items VALUES (1, 'a');
SELECT setval('items_id_seq', 1000);
-- == declared ==
CREATE TABLE items (id serial PRIMARY KEY, name text);
