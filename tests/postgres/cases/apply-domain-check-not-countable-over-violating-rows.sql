-- source: issue 15 §5 (a domain CHECK whose text holds a `$`, validated inside the transaction: a row it refuses rolls everything back)
-- expect: refused 3
-- message: code_word
-- == current ==
CREATE DOMAIN code AS text;
CREATE TABLE items (id integer PRIMARY KEY, c code);
INSERT INTO items VALUES (1, 'ab'), (2, 'C3'), (3, NULL);
-- == declared ==
CREATE DOMAIN code AS text CONSTRAINT code_word CHECK (VALUE ~ '^[a-z]+$');
CREATE TABLE items (id integer PRIMARY KEY, c code);
