-- source: issue 15 §3 (order by pg_depend: a column default calls a function declared before the table; the function returns the table's row type)
-- == current ==
-- == declared ==
CREATE FUNCTION next_code() RETURNS text LANGUAGE sql AS $$ SELECT 'c' || floor(random() * 1000)::int $$;
CREATE TABLE items (id integer PRIMARY KEY, code text NOT NULL DEFAULT next_code());
CREATE FUNCTION first_item() RETURNS items LANGUAGE sql STABLE AS $$ SELECT * FROM items ORDER BY id LIMIT 1 $$;
CREATE VIEW item_codes AS SELECT i.code FROM first_item() i;
