-- source: pg-schema-diff acceptance "Modify data type to incompatible (bytea -> char)"
-- command: repair
-- args: --yes
-- expect: refused 3
-- message: foobar.foobar
-- == current ==
CREATE TABLE foobar (id integer PRIMARY KEY, foobar bytea NOT NULL);
INSERT INTO foobar VALUES (1, '\x41');
-- == declared ==
CREATE TABLE foobar (id integer PRIMARY KEY, foobar char NOT NULL);
