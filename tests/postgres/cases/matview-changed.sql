-- source: pg-schema-diff acceptance "Alter materialized view"
-- == current ==
CREATE TABLE users (id integer PRIMARY KEY, email text);
CREATE MATERIALIZED VIEW user_emails AS SELECT id, email FROM users;
-- == declared ==
CREATE TABLE users (id integer PRIMARY KEY, email text);
CREATE MATERIALIZED VIEW user_emails AS SELECT id, lower(email) AS email FROM users;
