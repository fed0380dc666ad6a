-- source: issue 15 §3 (a UNIQUE that becomes NULLS NOT DISTINCT: check must see it, init applies it)
-- == current ==
CREATE TABLE pages (id integer PRIMARY KEY, slug text CONSTRAINT pages_slug_key UNIQUE);
INSERT INTO pages VALUES (1, NULL), (2, 'a');
-- == declared ==
CREATE TABLE pages (id integer PRIMARY KEY, slug text CONSTRAINT pages_slug_key UNIQUE NULLS NOT DISTINCT);
