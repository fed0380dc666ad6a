-- source: issue 15 §4 (the replica identity's index rebuilt concurrently and swapped: the new index was not the replica identity, and the next run changed it again)
-- == current ==
CREATE TABLE events (id integer NOT NULL, kind text NOT NULL);
CREATE UNIQUE INDEX events_key ON events (id);
ALTER TABLE events REPLICA IDENTITY USING INDEX events_key;
INSERT INTO events VALUES (1, 'a');
-- == declared ==
CREATE TABLE events (id integer NOT NULL, kind text NOT NULL);
CREATE UNIQUE INDEX events_key ON events (id, kind);
ALTER TABLE events REPLICA IDENTITY USING INDEX events_key;
