-- source: issue 15 §4 (REPLICA IDENTITY USING INDEX on an index the same plan builds)
-- == current ==
CREATE TABLE events (id integer PRIMARY KEY, code text NOT NULL, body text);
INSERT INTO events VALUES (1, 'a', 'x'), (2, 'b', 'y');
-- == declared ==
CREATE TABLE events (id integer PRIMARY KEY, code text NOT NULL, body text);
CREATE UNIQUE INDEX events_code ON events (code);
ALTER TABLE events REPLICA IDENTITY USING INDEX events_code;
