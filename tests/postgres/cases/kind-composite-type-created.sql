-- source: issue 15 §3 (pg_dump of Pagila-like apps: CREATE TYPE … AS (…) used by a column and a function)
-- verify: SELECT zip_of(ROW($$a$$, $$12345$$, NULL)::address) = $$12345$$
-- == current ==
CREATE TABLE note (id integer PRIMARY KEY);
INSERT INTO note VALUES (1);
-- == declared ==
CREATE TABLE note (id integer PRIMARY KEY);
CREATE TYPE address AS (street text, zip character varying(10), tags text[]);
CREATE TABLE person (id integer PRIMARY KEY, home address, old address[]);
CREATE FUNCTION zip_of(a address) RETURNS text LANGUAGE sql IMMUTABLE AS $$ SELECT a.zip::text $$;
