-- source: pg-schema-diff acceptance "Add one column with quoted names"
-- == current ==
CREATE TABLE "Foobar" (id integer PRIMARY KEY);
INSERT INTO "Foobar" VALUES (1), (2);
-- == declared ==
CREATE TABLE "Foobar" (id integer PRIMARY KEY, "My_new_column" varchar(255) DEFAULT 'a');
