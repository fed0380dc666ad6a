-- source: psqldef case "ChangeColumnType" (varchar widened)
-- verify: SELECT string_agg(name, ',' ORDER BY id) = 'ann,bob' FROM users
-- == current ==
CREATE TABLE users (id integer PRIMARY KEY, name varchar(20));
INSERT INTO users VALUES (1, 'ann'), (2, 'bob');
-- == declared ==
CREATE TABLE users (id integer PRIMARY KEY, name varchar(200));
