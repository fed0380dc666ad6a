-- source: issue 15 §3 / postgres.md "Sequences" (an identity sequence behind rows inserted with OVERRIDING SYSTEM VALUE)
-- verify: SELECT last_value = 500 AND is_called FROM items_id_seq
-- == current ==
CREATE TABLE items (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, name text);
INSERT INTO items (name) VALUES ('a');
INSERT INTO items OVERRIDING SYSTEM VALUE VALUES (500, 'b'), (20, 'c');
-- == declared ==
CREATE TABLE items (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, name text);
