-- source: Sourcegraph squashed.sql by hand (a unique index whose duplicates no query can count before the plan runs, on a column the plan adds with a constant default: built concurrently after the commit, it failed and left the column added)
-- expect: refused 3
-- message: users_flag_key
-- == current ==
CREATE TABLE users (id integer PRIMARY KEY);
INSERT INTO users VALUES (1), (2);
-- == declared ==
CREATE TABLE users (id integer PRIMARY KEY, flag integer NOT NULL DEFAULT 0);
CREATE UNIQUE INDEX users_flag_key ON users (flag);
