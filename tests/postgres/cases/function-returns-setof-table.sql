-- source: issue 15 §3 (order by pg_depend: a function RETURNS SETOF users before users)
-- == current ==
-- == declared ==
CREATE TABLE users (id integer PRIMARY KEY, email text NOT NULL);
CREATE FUNCTION active_users() RETURNS SETOF users LANGUAGE sql STABLE AS $$ SELECT * FROM users $$;
