-- source: Sourcegraph squashed.sql by hand (a unique index NULLS NOT DISTINCT: NULL keys are duplicates)
-- expect: refused 3
-- message: 2 row(s) violate
-- == current ==
CREATE TABLE users (id integer PRIMARY KEY, email text);
INSERT INTO users VALUES (1, NULL), (2, NULL), (3, 'a@x.io');
-- == declared ==
CREATE TABLE users (id integer PRIMARY KEY, email text, note text);
CREATE UNIQUE INDEX users_email_nnd ON users (email) NULLS NOT DISTINCT;
