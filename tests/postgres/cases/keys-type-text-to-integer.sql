-- source: issue 15 §3 (text → integer: no assignment cast, converted with an explicit one)
-- command: repair
-- args: --yes
-- verify: SELECT sum(qty) = 12 FROM items
-- == current ==
CREATE TABLE items (id integer PRIMARY KEY, qty text);
INSERT INTO items VALUES (1, '5'), (2, '7'), (3, NULL);
-- == declared ==
CREATE TABLE items (id integer PRIMARY KEY, qty integer);
