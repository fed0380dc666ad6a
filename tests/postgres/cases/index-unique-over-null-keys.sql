-- source: Sourcegraph squashed.sql by hand (the precheck of a new unique index counts no NULL key as a duplicate)
-- verify: SELECT count(*) = 1 FROM pg_index WHERE indexrelid = 'users_email_key2'::regclass AND indisunique AND indisvalid
-- == current ==
CREATE TABLE users (id integer PRIMARY KEY, email text, org integer);
INSERT INTO users VALUES (1, NULL, 1), (2, NULL, 1), (3, 'a@x.io', NULL), (4, 'a@x.io', 2);
-- == declared ==
CREATE TABLE users (id integer PRIMARY KEY, email text, org integer, note text);
CREATE UNIQUE INDEX users_email_key2 ON users (email, org);
