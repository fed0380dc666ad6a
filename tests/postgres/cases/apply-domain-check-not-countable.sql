-- source: issue 15 §5 (a domain CHECK whose text holds a `$`: its violations are not counted beforehand, so it is added validated inside the transaction; rows satisfy it)
-- verify: SELECT convalidated FROM pg_constraint WHERE conname = 'code_word'
-- == current ==
CREATE DOMAIN code AS text;
CREATE TABLE items (id integer PRIMARY KEY, c code);
INSERT INTO items VALUES (1, 'ab'), (2, 'cd'), (3, NULL);
-- == declared ==
CREATE DOMAIN code AS text CONSTRAINT code_word CHECK (VALUE ~ '^[a-z]+$');
CREATE TABLE items (id integer PRIMARY KEY, c code);
