-- source: issue 15 §4 (ALTER COLUMN … SET (n_distinct = …) was accepted, never applied)
-- == current ==
CREATE TABLE events (id integer PRIMARY KEY, kind text, tenant integer);
ALTER TABLE events ALTER COLUMN tenant SET (n_distinct = 5);
INSERT INTO events VALUES (1, 'a', 1);
-- == declared ==
CREATE TABLE events (id integer PRIMARY KEY, kind text, tenant integer);
ALTER TABLE events ALTER COLUMN kind SET (n_distinct = -0.5, n_distinct_inherited = 20);
ALTER TABLE events ALTER COLUMN tenant SET (n_distinct = 100);
