-- source: psqldef case "AddForeignKey"
-- == current ==
CREATE TABLE users (id integer PRIMARY KEY);
CREATE TABLE posts (id integer PRIMARY KEY, user_id integer);
INSERT INTO users VALUES (1), (2);
INSERT INTO posts VALUES (1, 1), (2, 2);
-- == declared ==
CREATE TABLE users (id integer PRIMARY KEY);
CREATE TABLE posts (id integer PRIMARY KEY, user_id integer REFERENCES users (id));
