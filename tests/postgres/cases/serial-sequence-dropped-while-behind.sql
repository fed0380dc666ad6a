-- source: issue 15 §3 (a serial's sequence behind its rows, and the files make the column a plain integer with no sequence: nothing to move forward)
-- command: repair
-- args: --prune --allow-data-loss
-- == current ==
CREATE TABLE child (id serial PRIMARY KEY, qty integer);
INSERT INTO child VALUES (1, 5), (2, 7);
-- == declared ==
CREATE TABLE child (id integer PRIMARY KEY, qty integer);
