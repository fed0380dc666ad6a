-- source: migra fixture "domains" (a CHECK added to a domain in use; rows satisfy it)
-- == current ==
CREATE DOMAIN pos AS integer;
CREATE TABLE items (id integer PRIMARY KEY, q pos);
INSERT INTO items VALUES (1, 1), (2, 3), (3, NULL);
-- == declared ==
CREATE DOMAIN pos AS integer CONSTRAINT pos_check CHECK (VALUE > 0 AND length('VALUE') = 5);
CREATE TABLE items (id integer PRIMARY KEY, q pos);
