-- source: issue 15 §4 (a new table declared with REPLICA IDENTITY USING INDEX)
-- == current ==
-- == declared ==
CREATE TABLE events (id integer NOT NULL, code text NOT NULL);
CREATE UNIQUE INDEX events_code ON events (code);
ALTER TABLE events REPLICA IDENTITY USING INDEX events_code;
