-- source: pg-schema-diff acceptance (text-search configuration used by an index changes: refused, the index would be stale)
-- expect: refused 3
-- message: text-search configuration app_search
-- == current ==
CREATE TEXT SEARCH CONFIGURATION app_search (COPY = pg_catalog.simple);
CREATE TABLE doc (id integer PRIMARY KEY, body text);
CREATE INDEX doc_body ON doc USING gin (to_tsvector('app_search'::regconfig, body));
INSERT INTO doc VALUES (1, 'hello');
-- == declared ==
CREATE TEXT SEARCH CONFIGURATION app_search (COPY = pg_catalog.english);
CREATE TABLE doc (id integer PRIMARY KEY, body text);
CREATE INDEX doc_body ON doc USING gin (to_tsvector('app_search'::regconfig, body));
