-- source: Sourcegraph migrations/frontend/squashed.sql, run by hand: it declares COMMENT ON EXTENSION pg_stat_statements with the text of an older version; init left the installed text and check said in sync
-- verify: SELECT obj_description(oid, 'pg_extension') = 'trigram matching, as the app says' FROM pg_extension WHERE extname = 'pg_trgm'
-- == current ==
CREATE EXTENSION pg_trgm;
CREATE TABLE words (w text);
-- == declared ==
CREATE EXTENSION pg_trgm;
COMMENT ON EXTENSION pg_trgm IS 'trigram matching, as the app says';
CREATE TABLE words (w text);
