-- source: pg-schema-diff acceptance "Drop table" (without --allow-data-loss)
-- command: repair --yes --prune
-- expect: refused 3
-- message: old_stuff
-- == current ==
CREATE TABLE users (id integer PRIMARY KEY);
CREATE TABLE old_stuff (id integer PRIMARY KEY);
INSERT INTO old_stuff VALUES (1);
-- == declared ==
CREATE TABLE users (id integer PRIMARY KEY);
