-- source: migra fixture "dependencies" (a view over a table)
-- == current ==
CREATE TABLE users (id integer PRIMARY KEY, email text NOT NULL);
-- == declared ==
CREATE TABLE users (id integer PRIMARY KEY, email text NOT NULL);
CREATE VIEW user_emails AS SELECT id, email FROM users;
