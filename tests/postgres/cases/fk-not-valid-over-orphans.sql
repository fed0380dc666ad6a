-- source: pg-schema-diff acceptance "Add not valid foreign key"
-- == current ==
CREATE TABLE users (id integer PRIMARY KEY);
CREATE TABLE posts (id integer PRIMARY KEY, user_id integer);
INSERT INTO users VALUES (1); INSERT INTO posts VALUES (1, 1), (2, 99);
-- == declared ==
CREATE TABLE users (id integer PRIMARY KEY);
CREATE TABLE posts (id integer PRIMARY KEY, user_id integer);
ALTER TABLE posts ADD CONSTRAINT posts_user_fk FOREIGN KEY (user_id) REFERENCES users (id) NOT VALID;
