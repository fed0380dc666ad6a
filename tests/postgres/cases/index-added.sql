-- source: pg-schema-diff acceptance "Add index"
-- == current ==
CREATE TABLE users (id integer PRIMARY KEY, email text NOT NULL);
INSERT INTO users VALUES (1, 'a@x.io');
-- == declared ==
CREATE TABLE users (id integer PRIMARY KEY, email text NOT NULL);
CREATE INDEX users_email_idx ON users (lower(email));
