-- source: pg-schema-diff acceptance "Alter a check constraint expression" (rows violate the new one)
-- expect: refused 3
-- message: bar_check
-- == current ==
CREATE TABLE foobar (id integer PRIMARY KEY, bar integer);
ALTER TABLE foobar ADD CONSTRAINT bar_check CHECK (bar > 0);
INSERT INTO foobar VALUES (10, 5);
-- == declared ==
CREATE TABLE foobar (id integer PRIMARY KEY, bar integer);
ALTER TABLE foobar ADD CONSTRAINT bar_check CHECK (bar > id);
