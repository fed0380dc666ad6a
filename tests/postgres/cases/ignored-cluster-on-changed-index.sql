-- source: issue 15 §4 (an index the plan rebuilds under a temporary name keeps the table clustered on it)
-- == current ==
CREATE TABLE events (id integer PRIMARY KEY, at date, kind text);
CREATE INDEX events_at ON events (at);
ALTER TABLE events CLUSTER ON events_at;
INSERT INTO events VALUES (1, '2024-01-01', 'a');
-- == declared ==
CREATE TABLE events (id integer PRIMARY KEY, at date, kind text);
CREATE INDEX events_at ON events (at, kind);
ALTER TABLE events CLUSTER ON events_at;
