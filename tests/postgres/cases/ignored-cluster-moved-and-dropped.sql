-- source: issue 15 §4 (CLUSTER ON another index, and SET WITHOUT CLUSTER)
-- == current ==
CREATE TABLE events (id integer PRIMARY KEY, at date);
CREATE INDEX events_at ON events (at);
ALTER TABLE events CLUSTER ON events_pkey;
CREATE TABLE users (id integer PRIMARY KEY);
ALTER TABLE users CLUSTER ON users_pkey;
INSERT INTO events VALUES (1, '2024-01-01');
-- == declared ==
CREATE TABLE events (id integer PRIMARY KEY, at date);
CREATE INDEX events_at ON events (at);
ALTER TABLE events CLUSTER ON events_at;
CREATE TABLE users (id integer PRIMARY KEY);
ALTER TABLE users CLUSTER ON users_pkey;
ALTER TABLE users SET WITHOUT CLUSTER;
