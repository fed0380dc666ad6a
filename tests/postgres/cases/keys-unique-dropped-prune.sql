-- source: psqldef case "DropUniqueConstraint"
-- command: repair
-- args: --yes --prune
-- == current ==
CREATE TABLE users (id integer PRIMARY KEY, email text CONSTRAINT users_email_key UNIQUE);
INSERT INTO users VALUES (1, 'a');
-- == declared ==
CREATE TABLE users (id integer PRIMARY KEY, email text);
