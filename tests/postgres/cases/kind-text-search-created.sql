-- source: issue 15 §3 (pg_dump with a text-search dictionary and configuration used by an index)
-- verify: SELECT to_tsvector('app_search', 'The Running dogs') = $$'dog':3 'run':2$$::tsvector
-- == current ==
CREATE TABLE doc (id integer PRIMARY KEY, body text);
INSERT INTO doc VALUES (1, 'hello');
-- == declared ==
CREATE TEXT SEARCH DICTIONARY app_stem (TEMPLATE = pg_catalog.snowball, language = 'english', stopwords = 'english');
CREATE TEXT SEARCH CONFIGURATION app_search (PARSER = pg_catalog."default");
ALTER TEXT SEARCH CONFIGURATION app_search ADD MAPPING FOR asciiword WITH app_stem;
ALTER TEXT SEARCH CONFIGURATION app_search ADD MAPPING FOR word, numword WITH simple;
CREATE TABLE doc (id integer PRIMARY KEY, body text);
CREATE INDEX doc_body ON doc USING gin (to_tsvector('app_search'::regconfig, body));
