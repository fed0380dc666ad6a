-- source: issue 15 §4 (COMMENT ON a collation, text search dictionary or configuration was accepted, never compared)
-- verify: SELECT obj_description('ci'::regcollation, 'pg_collation') = 'case-insensitive'
-- verify: SELECT obj_description('english_stem2'::regdictionary, 'pg_ts_dict') = 'stems'
-- verify: SELECT obj_description('english2'::regconfig, 'pg_ts_config') = 'the app''s search'
-- == current ==
CREATE COLLATION ci (provider = icu, locale = 'und-u-ks-level2', deterministic = false);
CREATE TEXT SEARCH DICTIONARY english_stem2 (TEMPLATE = snowball, language = 'english');
CREATE TEXT SEARCH CONFIGURATION english2 (COPY = pg_catalog.english);
COMMENT ON COLLATION ci IS 'old';
-- == declared ==
CREATE COLLATION ci (provider = icu, locale = 'und-u-ks-level2', deterministic = false);
CREATE TEXT SEARCH DICTIONARY english_stem2 (TEMPLATE = snowball, language = 'english');
CREATE TEXT SEARCH CONFIGURATION english2 (COPY = pg_catalog.english);
COMMENT ON COLLATION ci IS 'case-insensitive';
COMMENT ON TEXT SEARCH DICTIONARY english_stem2 IS 'stems';
COMMENT ON TEXT SEARCH CONFIGURATION english2 IS 'the app''s search';
