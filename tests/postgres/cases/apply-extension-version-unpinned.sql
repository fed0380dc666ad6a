-- source: issue 15 §4 (no VERSION in the file: whatever version is installed is in sync, never upgraded)
-- verify: SELECT extversion = '1.4' FROM pg_extension WHERE extname = 'citext'
-- == current ==
CREATE EXTENSION citext VERSION '1.4';
CREATE TABLE users (id integer PRIMARY KEY);
-- == declared ==
CREATE EXTENSION citext;
CREATE TABLE users (id integer PRIMARY KEY);
