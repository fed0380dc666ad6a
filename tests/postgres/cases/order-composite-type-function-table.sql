-- source: issue 15 §3 (order by pg_depend: a domain, a function over it, a generated column and an expression index using the function)
-- == current ==
-- == declared ==
CREATE DOMAIN positive AS integer CHECK (VALUE > 0);
CREATE FUNCTION double_it(x positive) RETURNS positive LANGUAGE sql IMMUTABLE AS $$ SELECT (x * 2)::positive $$;
CREATE TABLE stock (id integer PRIMARY KEY, qty positive NOT NULL, twice integer GENERATED ALWAYS AS (double_it(qty)) STORED);
CREATE INDEX stock_twice ON stock (double_it(qty));
