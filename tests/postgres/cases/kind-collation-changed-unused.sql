-- source: pg-schema-diff acceptance "Collation" cases (a collation nothing uses is redefined: dropped and created)
-- verify: SELECT NOT collisdeterministic FROM pg_collation WHERE collname = 'ci'
-- == current ==
CREATE COLLATION ci (provider = icu, locale = 'und-u-ks-level2');
CREATE TABLE t (id integer PRIMARY KEY);
INSERT INTO t VALUES (1);
-- == declared ==
CREATE COLLATION ci (provider = icu, locale = 'und-u-ks-level2', deterministic = false);
CREATE TABLE t (id integer PRIMARY KEY);
