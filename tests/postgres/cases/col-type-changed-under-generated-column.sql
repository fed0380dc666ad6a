-- source: issue 15 §3 (found by tests/postgres/test_plan_properties.py: "cannot alter type of a column used by a generated column"; the stored generated column, its index and the view over it are dropped and created again around the type change, its values computed again)
-- command: repair
-- verify: SELECT sum(total) = 24 FROM items
-- verify: SELECT count(*) = 2 FROM items_totals
-- == current ==
CREATE TABLE items (id integer PRIMARY KEY, qty integer, total numeric GENERATED ALWAYS AS (qty * 2) STORED);
CREATE INDEX items_total ON items (total);
CREATE VIEW items_totals AS SELECT id, total FROM items;
INSERT INTO items (id, qty) VALUES (1, 5), (2, 7);
-- == declared ==
CREATE TABLE items (id integer PRIMARY KEY, qty bigint, total numeric GENERATED ALWAYS AS (qty * 2) STORED);
CREATE INDEX items_total ON items (total);
CREATE VIEW items_totals AS SELECT id, total FROM items;
