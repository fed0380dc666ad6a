-- source: pg-schema-diff acceptance (text-search configuration whose mappings change; nothing uses it)
-- verify: SELECT to_tsvector('app_search', 'Running 42') = $$'42':2 'run':1$$::tsvector
-- == current ==
CREATE TEXT SEARCH CONFIGURATION app_search (COPY = pg_catalog.simple);
-- == declared ==
CREATE TEXT SEARCH CONFIGURATION app_search (PARSER = pg_catalog."default");
ALTER TEXT SEARCH CONFIGURATION app_search ADD MAPPING FOR asciiword WITH english_stem;
ALTER TEXT SEARCH CONFIGURATION app_search ADD MAPPING FOR uint, int WITH simple;
