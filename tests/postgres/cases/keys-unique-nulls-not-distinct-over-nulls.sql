-- source: issue 15 §3 (UNIQUE NULLS NOT DISTINCT over two NULLs: the precheck counts NULLs as equal)
-- expect: refused 3
-- message: pages_slug_key
-- == current ==
CREATE TABLE pages (id integer PRIMARY KEY, slug text);
INSERT INTO pages VALUES (1, NULL), (2, NULL), (3, 'a');
-- == declared ==
CREATE TABLE pages (id integer PRIMARY KEY, slug text CONSTRAINT pages_slug_key UNIQUE NULLS NOT DISTINCT);
