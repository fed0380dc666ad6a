-- source: Sourcegraph squashed.sql by hand (a unique index on a column the plan adds, nullable: no duplicates, built in the transaction)
-- verify: SELECT indisunique AND indisvalid FROM pg_index WHERE indexrelid = 'users_flag_key'::regclass
-- == current ==
CREATE TABLE users (id integer PRIMARY KEY);
INSERT INTO users VALUES (1), (2);
-- == declared ==
CREATE TABLE users (id integer PRIMARY KEY, flag integer);
CREATE UNIQUE INDEX users_flag_key ON users (flag);
