-- source: pg-schema-diff acceptance "Delete one column with serial"
-- command: repair --yes --prune --allow-data-loss
-- == current ==
CREATE TABLE "Foobar" (id integer PRIMARY KEY, n bigserial);
INSERT INTO "Foobar" (id) VALUES (1), (2);
-- == declared ==
CREATE TABLE "Foobar" (id integer PRIMARY KEY);
