-- source: issue 15 §3 (`UNIQUE NULLS NOT DISTINCT` added, then exit 70 after commit); pg-schema-diff index cases
-- == current ==
CREATE TABLE pages (id integer PRIMARY KEY, slug text);
INSERT INTO pages VALUES (1, NULL), (2, 'a');
-- == declared ==
CREATE TABLE pages (id integer PRIMARY KEY, slug text CONSTRAINT pages_slug_key UNIQUE NULLS NOT DISTINCT);
