-- source: pg_dump writes a CHECK that is NOT VALID as ALTER TABLE … ADD CONSTRAINT … NOT VALID after the table (found while running OpenStreetMap's structure.sql, whose foreign keys lost NOT VALID the same way): on a table init creates it stays NOT VALID
-- verify: SELECT NOT convalidated FROM pg_constraint WHERE conname = 'posts_id_positive'
-- == current ==
CREATE TABLE users (id integer PRIMARY KEY);
-- == declared ==
CREATE TABLE users (id integer PRIMARY KEY);
CREATE TABLE posts (id integer PRIMARY KEY, user_id integer);
ALTER TABLE ONLY posts ADD CONSTRAINT posts_id_positive CHECK (id > 0) NOT VALID;
