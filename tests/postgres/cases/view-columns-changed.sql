-- source: migra fixture "dependencies" (a view whose columns change: CREATE OR REPLACE cannot drop columns)
-- == current ==
CREATE TABLE users (id integer PRIMARY KEY, email text NOT NULL, name text);
CREATE VIEW user_list AS SELECT id, email, name FROM users;
-- == declared ==
CREATE TABLE users (id integer PRIMARY KEY, email text NOT NULL, name text);
CREATE VIEW user_list AS SELECT id, name FROM users;
