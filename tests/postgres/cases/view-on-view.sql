-- source: migra fixture "dependencies2" (a view over a view, the inner one changes)
-- == current ==
CREATE TABLE users (id integer PRIMARY KEY, email text NOT NULL, name text);
CREATE VIEW v1 AS SELECT id, email FROM users;
CREATE VIEW v2 AS SELECT id FROM v1;
-- == declared ==
CREATE TABLE users (id integer PRIMARY KEY, email text NOT NULL, name text);
CREATE VIEW v1 AS SELECT id, name FROM users;
CREATE VIEW v2 AS SELECT id FROM v1;
