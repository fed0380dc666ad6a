-- source: issue 15 §3 (pg_dump: CREATE EXTENSION … WITH SCHEMA ext; a column of its type; init on an empty database)
-- verify: SELECT extnamespace = 'ext'::regnamespace FROM pg_extension WHERE extname = 'citext'
-- == current ==
CREATE SCHEMA ext;
-- == declared ==
CREATE EXTENSION IF NOT EXISTS citext WITH SCHEMA ext;
CREATE TABLE users (id integer PRIMARY KEY, email ext.citext);
-- == expected ==
CREATE SCHEMA IF NOT EXISTS ext;
CREATE EXTENSION IF NOT EXISTS citext WITH SCHEMA ext;
CREATE TABLE users (id integer PRIMARY KEY, email ext.citext);
