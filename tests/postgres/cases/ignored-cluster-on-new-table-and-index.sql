-- source: issue 15 §4 (CLUSTER ON an index the plan creates, on a new and on a populated table)
-- == current ==
CREATE TABLE events (id integer PRIMARY KEY, at date);
INSERT INTO events VALUES (1, '2024-01-01');
-- == declared ==
CREATE TABLE events (id integer PRIMARY KEY, at date);
CREATE INDEX events_at ON events (at);
ALTER TABLE events CLUSTER ON events_at;
CREATE TABLE users (id integer PRIMARY KEY, email text);
CREATE UNIQUE INDEX users_email ON users (email);
ALTER TABLE users CLUSTER ON users_email;
