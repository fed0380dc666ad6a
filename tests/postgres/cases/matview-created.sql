-- source: pg-schema-diff acceptance "Create materialized view"
-- == current ==
CREATE TABLE users (id integer PRIMARY KEY, email text);
INSERT INTO users VALUES (1, 'a');
-- == declared ==
CREATE TABLE users (id integer PRIMARY KEY, email text);
CREATE MATERIALIZED VIEW user_emails AS SELECT id, email FROM users;
CREATE UNIQUE INDEX user_emails_id ON user_emails (id);
