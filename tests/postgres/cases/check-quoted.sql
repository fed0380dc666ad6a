-- source: pg-schema-diff acceptance "Add check constraint with quoted identifiers"
-- == current ==
CREATE TABLE "Foobar" (id integer PRIMARY KEY, "BaR" integer);
-- == declared ==
CREATE TABLE "Foobar" (id integer PRIMARY KEY, "BaR" integer);
ALTER TABLE "Foobar" ADD CONSTRAINT "Some_Check" CHECK ("BaR" > id);
