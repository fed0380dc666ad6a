-- source: psqldef case "AddPrimaryKey"
-- == current ==
CREATE TABLE users (id integer NOT NULL, name text);
INSERT INTO users VALUES (1, 'a'), (2, 'b');
-- == declared ==
CREATE TABLE users (id integer NOT NULL PRIMARY KEY, name text);
