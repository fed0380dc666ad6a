-- source: pg-schema-diff acceptance "Collation" cases (a collation a column uses is redefined: refused, nothing changed)
-- expect: refused 3
-- message: collation ci
-- == current ==
CREATE COLLATION ci (provider = icu, locale = 'und-u-ks-level2');
CREATE TABLE t (id integer PRIMARY KEY, name text COLLATE ci);
INSERT INTO t VALUES (1, 'a');
-- == declared ==
CREATE COLLATION ci (provider = icu, locale = 'und-u-ks-level2', deterministic = false);
CREATE TABLE t (id integer PRIMARY KEY, name text COLLATE ci);
