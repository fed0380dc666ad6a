-- source: pg-schema-diff acceptance "Add partial unique index"
-- == current ==
CREATE TABLE users (id integer PRIMARY KEY, email text, deleted boolean NOT NULL DEFAULT false);
INSERT INTO users VALUES (1, 'a', true), (2, 'a', false);
-- == declared ==
CREATE TABLE users (id integer PRIMARY KEY, email text, deleted boolean NOT NULL DEFAULT false);
CREATE UNIQUE INDEX users_email_live ON users (email) WHERE NOT deleted;
