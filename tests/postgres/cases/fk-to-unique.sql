-- source: pg-schema-diff acceptance "Add foreign key referencing a unique constraint"
-- == current ==
CREATE TABLE users (id integer PRIMARY KEY, email text NOT NULL UNIQUE);
CREATE TABLE logins (id integer PRIMARY KEY, email text);
INSERT INTO users VALUES (1, 'a'); INSERT INTO logins VALUES (1, 'a');
-- == declared ==
CREATE TABLE users (id integer PRIMARY KEY, email text NOT NULL UNIQUE);
CREATE TABLE logins (id integer PRIMARY KEY, email text REFERENCES users (email) ON UPDATE CASCADE);
