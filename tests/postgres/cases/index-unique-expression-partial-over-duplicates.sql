-- source: Sourcegraph squashed.sql by hand (registry_extensions_publisher_name, users_username: a unique index dropped from a populated database, duplicates inserted, init built it concurrently with no precheck: the safe changes before it were committed, then the build failed)
-- expect: refused 3
-- message: 2 row(s) violate
-- == current ==
CREATE TABLE users (id integer PRIMARY KEY, email text NOT NULL, deleted_at timestamptz);
INSERT INTO users VALUES (1, 'a@x.io', NULL), (2, 'A@x.io', NULL), (3, 'a@x.io', now()), (4, 'b@x.io', NULL);
-- == declared ==
CREATE TABLE users (id integer PRIMARY KEY, email text NOT NULL, deleted_at timestamptz, note text);
CREATE UNIQUE INDEX users_email_live ON users (lower(email)) WHERE deleted_at IS NULL;
