-- source: psqldef case "AddPrimaryKey" (over duplicate ids: refused naming the duplicate)
-- expect: refused 3
-- message: (id)=(2)
-- == current ==
CREATE TABLE users (id integer NOT NULL, name text);
INSERT INTO users VALUES (1, 'a'), (2, 'b'), (2, 'c');
-- == declared ==
CREATE TABLE users (id integer NOT NULL PRIMARY KEY, name text);
