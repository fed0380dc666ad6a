-- source: pg-schema-diff acceptance "Drop foreign key"
-- command: repair --yes --prune
-- == current ==
CREATE TABLE users (id integer PRIMARY KEY);
CREATE TABLE posts (id integer PRIMARY KEY, user_id integer REFERENCES users (id));
-- == declared ==
CREATE TABLE users (id integer PRIMARY KEY);
CREATE TABLE posts (id integer PRIMARY KEY, user_id integer);
