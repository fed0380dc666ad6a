-- source: pg-schema-diff acceptance "Alter foreign key on delete action"
-- == current ==
CREATE TABLE users (id integer PRIMARY KEY);
CREATE TABLE posts (id integer PRIMARY KEY, user_id integer REFERENCES users (id));
INSERT INTO users VALUES (1); INSERT INTO posts VALUES (1, 1);
-- == declared ==
CREATE TABLE users (id integer PRIMARY KEY);
CREATE TABLE posts (id integer PRIMARY KEY, user_id integer REFERENCES users (id) ON DELETE CASCADE);
