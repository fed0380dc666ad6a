-- source: issue 15 §4 (ALTER COLUMN … RESET (…): a live attribute option the files do not declare)
-- == current ==
CREATE TABLE events (id integer PRIMARY KEY, kind text);
ALTER TABLE events ALTER COLUMN kind SET (n_distinct = 5, n_distinct_inherited = 7);
INSERT INTO events VALUES (1, 'a');
-- == declared ==
CREATE TABLE events (id integer PRIMARY KEY, kind text);
ALTER TABLE events ALTER COLUMN kind SET (n_distinct = 5, n_distinct_inherited = 7);
ALTER TABLE events ALTER COLUMN kind RESET (n_distinct_inherited);
