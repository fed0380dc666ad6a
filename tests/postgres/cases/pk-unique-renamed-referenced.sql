-- source: issue 15 §3 (a UNIQUE a foreign key uses, declared under another name: renamed in place, not added twice)
-- verify: SELECT count(*) = 1 FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid WHERE c.relname = 'users' AND i.indisunique AND NOT i.indisprimary
-- == current ==
CREATE TABLE users (id integer PRIMARY KEY, email text NOT NULL, CONSTRAINT users_email_uq UNIQUE (email));
CREATE TABLE logins (id integer PRIMARY KEY, email text REFERENCES users (email));
INSERT INTO users VALUES (1, 'a@x.io');
INSERT INTO logins VALUES (1, 'a@x.io');
-- == declared ==
CREATE TABLE users (id integer PRIMARY KEY, email text NOT NULL, CONSTRAINT users_email_key UNIQUE (email));
CREATE TABLE logins (id integer PRIMARY KEY, email text REFERENCES users (email));
