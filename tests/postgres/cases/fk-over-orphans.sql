-- source: pg-schema-diff acceptance "Add foreign key" (an orphan row: refused before anything runs)
-- expect: refused 3
-- message: posts
-- == current ==
CREATE TABLE users (id integer PRIMARY KEY);
CREATE TABLE posts (id integer PRIMARY KEY, user_id integer);
INSERT INTO users VALUES (1); INSERT INTO posts VALUES (1, 1), (2, 99);
-- == declared ==
CREATE TABLE users (id integer PRIMARY KEY);
CREATE TABLE posts (id integer PRIMARY KEY, user_id integer REFERENCES users (id));
