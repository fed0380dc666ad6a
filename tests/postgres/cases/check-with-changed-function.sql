-- source: issue 15 §4 (every constraint checked before the commit: a CHECK whose function the same run changes is counted with the new function, inside the transaction)
-- expect: refused 3
-- message: foobar_bar_check
-- == current ==
CREATE FUNCTION is_ok(i integer) RETURNS boolean LANGUAGE sql IMMUTABLE AS $$ SELECT true $$;
CREATE TABLE foobar (id integer PRIMARY KEY, bar integer);
INSERT INTO foobar VALUES (1, -5);
-- == declared ==
CREATE FUNCTION is_ok(i integer) RETURNS boolean LANGUAGE sql IMMUTABLE AS $$ SELECT i > 0 $$;
CREATE TABLE foobar (id integer PRIMARY KEY, bar integer CHECK (is_ok(bar)));
