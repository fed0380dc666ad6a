-- source: psqldef case "AddForeignKeyToUniqueColumn" (the UNIQUE it references is added in the same run)
-- == current ==
CREATE TABLE users (id integer PRIMARY KEY, email text NOT NULL);
CREATE TABLE logins (id integer PRIMARY KEY, email text);
INSERT INTO users VALUES (1, 'a@x.io');
INSERT INTO logins VALUES (1, 'a@x.io');
-- == declared ==
CREATE TABLE users (id integer PRIMARY KEY, email text NOT NULL CONSTRAINT users_email_key UNIQUE);
CREATE TABLE logins (id integer PRIMARY KEY, email text REFERENCES users (email));
