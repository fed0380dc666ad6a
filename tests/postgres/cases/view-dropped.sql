-- source: pg-schema-diff acceptance "Drop view"
-- command: repair --yes --prune
-- == current ==
CREATE TABLE users (id integer PRIMARY KEY);
CREATE VIEW v1 AS SELECT id FROM users;
-- == declared ==
CREATE TABLE users (id integer PRIMARY KEY);
