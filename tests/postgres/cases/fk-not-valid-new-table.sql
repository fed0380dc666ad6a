-- source: OpenStreetMap db/structure.sql (Rails add_foreign_key validate: false), run by hand: a FOREIGN KEY declared NOT VALID on a table init creates; pg_dump of the init-built database lost NOT VALID
-- verify: SELECT NOT convalidated FROM pg_constraint WHERE conname = 'posts_user_fk'
-- == current ==
CREATE TABLE users (id integer PRIMARY KEY);
-- == declared ==
CREATE TABLE users (id integer PRIMARY KEY);
CREATE TABLE posts (id integer PRIMARY KEY, user_id integer);
ALTER TABLE ONLY posts ADD CONSTRAINT posts_user_fk FOREIGN KEY (user_id) REFERENCES users (id) NOT VALID;
