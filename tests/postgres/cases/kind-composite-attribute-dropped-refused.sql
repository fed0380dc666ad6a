-- source: migra fixture "everything" (composite type loses an attribute: data in columns of that type would go)
-- expect: refused 3
-- message: address (type_changed)
-- == current ==
CREATE TYPE address AS (street text, zip text);
CREATE TABLE person (id integer PRIMARY KEY, home address);
INSERT INTO person VALUES (1, ROW('main', '1')::address);
-- == declared ==
CREATE TYPE address AS (street text);
CREATE TABLE person (id integer PRIMARY KEY, home address);
