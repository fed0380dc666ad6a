-- source: issue 15 §4 (a live SET STATISTICS the files do not declare was never seen)
-- == current ==
CREATE TABLE events (id integer PRIMARY KEY, kind text);
ALTER TABLE events ALTER COLUMN kind SET STATISTICS 500;
INSERT INTO events VALUES (1, 'a');
-- == declared ==
CREATE TABLE events (id integer PRIMARY KEY, kind text);
