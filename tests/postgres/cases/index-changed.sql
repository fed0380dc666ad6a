-- source: pg-schema-diff acceptance "Change index columns"
-- == current ==
CREATE TABLE users (id integer PRIMARY KEY, a text, b text);
CREATE INDEX users_ab ON users (a);
INSERT INTO users VALUES (1, 'x', 'y');
-- == declared ==
CREATE TABLE users (id integer PRIMARY KEY, a text, b text);
CREATE INDEX users_ab ON users (a, b);
