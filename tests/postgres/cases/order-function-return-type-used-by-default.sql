-- source: issue 15 §3/§4 (a function whose return type changes, used by a column default of a column whose type changes too)
-- command: repair
-- == current ==
CREATE FUNCTION new_ref() RETURNS integer LANGUAGE sql AS $$ SELECT 7 $$;
CREATE TABLE orders (id integer PRIMARY KEY, ref integer DEFAULT new_ref());
INSERT INTO orders VALUES (1, 3);
-- == declared ==
CREATE FUNCTION new_ref() RETURNS text LANGUAGE sql AS $$ SELECT 'r7' $$;
CREATE TABLE orders (id integer PRIMARY KEY, ref text DEFAULT new_ref());
-- == expected ==
CREATE FUNCTION new_ref() RETURNS text LANGUAGE sql AS $$ SELECT 'r7' $$;
CREATE TABLE orders (id integer PRIMARY KEY, ref text DEFAULT new_ref());
