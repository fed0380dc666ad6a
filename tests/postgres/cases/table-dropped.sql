-- source: pg-schema-diff acceptance "Drop table"
-- command: repair --yes --prune --allow-data-loss
-- == current ==
CREATE TABLE users (id integer PRIMARY KEY);
CREATE TABLE old_stuff (id integer PRIMARY KEY);
INSERT INTO old_stuff VALUES (1);
-- == declared ==
CREATE TABLE users (id integer PRIMARY KEY);
