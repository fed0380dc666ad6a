-- source: issue 15 §3 (no precheck for a new UNIQUE over duplicates: the report names table, columns and a duplicate)
-- expect: refused 3
-- message: (org_id, slug)=(7, home)
-- == current ==
CREATE TABLE pages (id integer PRIMARY KEY, org_id integer NOT NULL, slug text NOT NULL);
INSERT INTO pages VALUES (1, 7, 'home'), (2, 7, 'home'), (3, 8, 'home');
-- == declared ==
CREATE TABLE pages (id integer PRIMARY KEY, org_id integer NOT NULL, slug text NOT NULL,
  CONSTRAINT pages_org_slug_key UNIQUE (org_id, slug));
