-- source: pg-schema-diff acceptance "Add No-Inherit, Not-Valid check constraint"
-- == current ==
CREATE TABLE foobar (id integer PRIMARY KEY, bar integer);
INSERT INTO foobar VALUES (1, -1);
-- == declared ==
CREATE TABLE foobar (id integer PRIMARY KEY, bar integer);
ALTER TABLE foobar ADD CONSTRAINT bar_positive CHECK (bar > 0) NO INHERIT NOT VALID;
