-- source: pg-schema-diff acceptance "Delete one column"
-- command: repair --yes --prune --allow-data-loss
-- == current ==
CREATE TABLE foobar (id integer PRIMARY KEY, note text);
INSERT INTO foobar VALUES (1, 'x');
-- == declared ==
CREATE TABLE foobar (id integer PRIMARY KEY);
