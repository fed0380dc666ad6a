-- source: Sourcegraph squashed.sql by hand (an index declared unique where the live one is not, over duplicates: rebuilt concurrently with no precheck)
-- expect: refused 3
-- message: 2 row(s) violate
-- == current ==
CREATE TABLE users (id integer PRIMARY KEY, email text NOT NULL);
CREATE INDEX users_email ON users (email);
INSERT INTO users VALUES (1, 'a@x.io'), (2, 'a@x.io'), (3, 'b@x.io');
-- == declared ==
CREATE TABLE users (id integer PRIMARY KEY, email text NOT NULL, note text);
CREATE UNIQUE INDEX users_email ON users (email);
