-- source: issue 15 §4 (ALTER COLUMN … SET STATISTICS was accepted, never applied, and check said in sync); pg_dump writes it as ALTER TABLE ONLY
-- == current ==
CREATE TABLE events (id integer PRIMARY KEY, kind text, body text);
INSERT INTO events VALUES (1, 'a', 'x'), (2, 'b', 'y');
-- == declared ==
CREATE TABLE events (id integer PRIMARY KEY, kind text, body text);
ALTER TABLE ONLY events ALTER COLUMN kind SET STATISTICS 1000;
ALTER TABLE events ALTER COLUMN body SET STATISTICS 0;
