-- source: pg-schema-diff acceptance "function with dependencies" (a table column of a composite-returning function's domain)
-- == current ==
-- == declared ==
CREATE DOMAIN positive AS integer CHECK (VALUE > 0);
CREATE FUNCTION double_it(x positive) RETURNS positive LANGUAGE sql IMMUTABLE AS $$ SELECT (x * 2)::positive $$;
CREATE TABLE stock (id integer PRIMARY KEY, qty positive NOT NULL, twice integer GENERATED ALWAYS AS (double_it(qty)) STORED);
CREATE INDEX stock_twice ON stock (double_it(qty));
