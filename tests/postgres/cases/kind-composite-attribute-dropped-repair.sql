-- source: migra fixture "everything" (composite type loses an attribute, applied by repair with --allow-data-loss)
-- command: repair
-- args: --allow-data-loss
-- verify: SELECT (home).street = 'main' FROM person WHERE id = 1
-- == current ==
CREATE TYPE address AS (street text, zip text);
CREATE TABLE person (id integer PRIMARY KEY, home address);
INSERT INTO person VALUES (1, ROW('main', '1')::address);
-- == declared ==
CREATE TYPE address AS (street text);
CREATE TABLE person (id integer PRIMARY KEY, home address);
