-- source: issue 15 §4 (a new extension pinned to an older version than the default)
-- verify: SELECT extversion = '1.5' FROM pg_extension WHERE extname = 'citext'
-- == current ==
-- == declared ==
CREATE EXTENSION citext VERSION '1.5';
CREATE TABLE users (id integer PRIMARY KEY, email citext);
