-- source: issue 15 §4 (REPLICA IDENTITY removed from the files: back to DEFAULT)
-- == current ==
CREATE TABLE events (id integer PRIMARY KEY, body text);
ALTER TABLE events REPLICA IDENTITY NOTHING;
INSERT INTO events VALUES (1, 'a');
-- == declared ==
CREATE TABLE events (id integer PRIMARY KEY, body text);
