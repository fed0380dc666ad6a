-- source: issue 15 §4 (ALTER TABLE … CLUSTER ON was accepted, never applied); pg_dump writes ALTER TABLE t CLUSTER ON idx
-- == current ==
CREATE TABLE events (id integer PRIMARY KEY, at date);
CREATE INDEX events_at ON events (at);
CREATE TABLE users (id integer PRIMARY KEY);
INSERT INTO events VALUES (1, '2024-01-01');
-- == declared ==
CREATE TABLE events (id integer PRIMARY KEY, at date);
CREATE INDEX events_at ON events (at);
ALTER TABLE events CLUSTER ON events_at;
CREATE TABLE users (id integer PRIMARY KEY);
ALTER TABLE ONLY users CLUSTER ON users_pkey;
