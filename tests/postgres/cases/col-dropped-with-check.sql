-- source: pg-schema-diff acceptance "Delete column with valid not null check constraint"
-- command: repair --yes --prune --allow-data-loss
-- == current ==
CREATE TABLE foobar (id integer PRIMARY KEY, foo varchar(255) NOT NULL CHECK (foo IS NOT NULL));
INSERT INTO foobar VALUES (1, 'x');
-- == declared ==
CREATE TABLE foobar (id integer PRIMARY KEY);
