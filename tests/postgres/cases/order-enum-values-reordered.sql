-- source: issue 15 §3 (kind of change migra/pg-schema-diff test: values reordered and one removed: a new type, columns converted; a view on the column)
-- command: repair
-- args: --allow-data-loss
-- == current ==
CREATE TYPE size AS ENUM ('s', 'm', 'l', 'xl');
CREATE TABLE shirts (id integer PRIMARY KEY, size size NOT NULL DEFAULT 'm');
INSERT INTO shirts VALUES (1, 's'), (2, 'l');
CREATE VIEW big_shirts AS SELECT id FROM shirts WHERE size >= 'l';
-- == declared ==
CREATE TYPE size AS ENUM ('l', 'm', 's');
CREATE TABLE shirts (id integer PRIMARY KEY, size size NOT NULL DEFAULT 'm');
CREATE VIEW big_shirts AS SELECT id FROM shirts WHERE size >= 'l';
