-- source: issue 15 §3 (a new table and a function RETURNS SETOF it on a database that has other tables)
-- == current ==
CREATE TABLE accounts (id integer PRIMARY KEY);
INSERT INTO accounts VALUES (1), (2);
-- == declared ==
CREATE TABLE accounts (id integer PRIMARY KEY);
CREATE TABLE users (id integer PRIMARY KEY, account_id integer REFERENCES accounts (id));
CREATE FUNCTION users_of(a integer) RETURNS SETOF users LANGUAGE sql STABLE AS $$ SELECT * FROM users WHERE account_id = a $$;
CREATE VIEW account_users AS SELECT a.id AS account, u.id AS user_id FROM accounts a, users_of(a.id) u;
