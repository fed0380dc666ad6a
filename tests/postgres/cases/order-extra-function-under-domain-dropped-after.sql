-- source: issue 15 §3/§5 (drops ordered by the dependencies PostgreSQL records: an extra domain whose CHECK calls an extra function is dropped before the function, though functions are otherwise dropped first)
-- command: repair
-- args: --prune --allow-data-loss
-- == current ==
CREATE FUNCTION is_positive(x integer) RETURNS boolean LANGUAGE sql IMMUTABLE AS 'SELECT x > 0';
CREATE DOMAIN positive AS integer CHECK (is_positive(VALUE));
CREATE TABLE items (id integer PRIMARY KEY);
INSERT INTO items VALUES (1), (2);
-- == declared ==
CREATE TABLE items (id integer PRIMARY KEY);
