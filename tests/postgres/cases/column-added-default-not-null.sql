-- source: pg-schema-diff acceptance "Add column with default"
-- verify: SELECT count(*) = 2 FROM users WHERE active
-- == current ==
CREATE TABLE users (id integer PRIMARY KEY, email text NOT NULL);
INSERT INTO users VALUES (1, 'a@x.io'), (2, 'b@x.io');
-- == declared ==
CREATE TABLE users (id integer PRIMARY KEY, email text NOT NULL, active boolean NOT NULL DEFAULT true);
