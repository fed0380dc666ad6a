-- source: pg-schema-diff acceptance "Add check constraint with UDF dependency" (dbinit creates the function first)
-- == current ==
CREATE TABLE foobar (id integer PRIMARY KEY, bar integer);
INSERT INTO foobar VALUES (1, 5);
-- == declared ==
CREATE FUNCTION is_positive(i integer) RETURNS boolean LANGUAGE sql IMMUTABLE AS $$ SELECT i > 0 $$;
CREATE TABLE foobar (id integer PRIMARY KEY, bar integer CHECK (is_positive(bar)));
