-- source: issue 15 §4 (dropping a serial column: its sequence goes with it, "sequence … does not exist")
-- command: repair
-- args: --prune --allow-data-loss
-- == current ==
CREATE TABLE events (id integer PRIMARY KEY, seq serial, name text);
INSERT INTO events (id, name) VALUES (1, 'a');
-- == declared ==
CREATE TABLE events (id integer PRIMARY KEY, name text);
