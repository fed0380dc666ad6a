-- source: pg-schema-diff acceptance "Add no inherit check constraint"
-- == current ==
CREATE TABLE foobar (id integer PRIMARY KEY, bar integer);
-- == declared ==
CREATE TABLE foobar (id integer PRIMARY KEY, bar integer);
ALTER TABLE foobar ADD CONSTRAINT bar_positive CHECK (bar > 0) NO INHERIT;
