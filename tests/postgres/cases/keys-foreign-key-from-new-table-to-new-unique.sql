-- source: psqldef case "CreateTableWithForeignKeyToNewUnique" (a new table's foreign key to a UNIQUE added in the same run)
-- == current ==
CREATE TABLE users (id integer PRIMARY KEY, email text NOT NULL);
INSERT INTO users VALUES (1, 'a@x.io');
-- == declared ==
CREATE TABLE users (id integer PRIMARY KEY, email text NOT NULL CONSTRAINT users_email_key UNIQUE);
CREATE TABLE logins (id integer PRIMARY KEY, email text REFERENCES users (email));
