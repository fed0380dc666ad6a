-- source: issue 15 §3 (pg_dump writes CREATE SCHEMA ext; before CREATE EXTENSION … WITH SCHEMA ext: the dump works unchanged)
-- verify: SELECT extnamespace = 'ext'::regnamespace FROM pg_extension WHERE extname = 'citext'
-- == current ==
-- == declared ==
CREATE SCHEMA ext;
CREATE EXTENSION IF NOT EXISTS citext WITH SCHEMA ext;
CREATE TABLE users (id integer PRIMARY KEY, email ext.citext);
