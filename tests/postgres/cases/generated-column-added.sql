-- source: psqldef case "GeneratedColumn"
-- command: repair --yes
-- verify: SELECT total = 6 FROM items WHERE id = 1
-- == current ==
CREATE TABLE items (id integer PRIMARY KEY, qty integer NOT NULL, price integer NOT NULL);
INSERT INTO items VALUES (1, 2, 3);
-- == declared ==
CREATE TABLE items (id integer PRIMARY KEY, qty integer NOT NULL, price integer NOT NULL, total integer GENERATED ALWAYS AS (qty * price) STORED);
