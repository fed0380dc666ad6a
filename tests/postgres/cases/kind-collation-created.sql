-- source: issue 15 §3 (pg_dump with CREATE COLLATION used by a column; init on an empty database failed)
-- verify: SELECT $$ANN@X.ORG$$ = $$ann@x.org$$ COLLATE case_insensitive
-- == current ==
-- == declared ==
CREATE COLLATION case_insensitive (provider = icu, locale = 'und-u-ks-level2', deterministic = false);
CREATE COLLATION c_copy FROM "C";
CREATE TABLE users (id integer PRIMARY KEY, email text COLLATE case_insensitive, code text COLLATE c_copy);
CREATE INDEX users_email ON users (email);
