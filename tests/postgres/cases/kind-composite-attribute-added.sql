-- source: migra fixture "everything" (composite type gains an attribute: ALTER TYPE … ADD ATTRIBUTE)
-- verify: SELECT (home).street = 'main' AND (home).city IS NULL FROM person WHERE id = 1
-- == current ==
CREATE TYPE address AS (street text, zip text);
CREATE TABLE person (id integer PRIMARY KEY, home address);
INSERT INTO person VALUES (1, ROW('main', '1')::address);
-- == declared ==
CREATE TYPE address AS (street text, zip text, city text COLLATE "C");
CREATE TABLE person (id integer PRIMARY KEY, home address);
