-- source: psqldef case "AddUniqueConstraint" (NULLs are distinct: two NULLs are no duplicate)
-- == current ==
CREATE TABLE pages (id integer PRIMARY KEY, slug text);
INSERT INTO pages VALUES (1, NULL), (2, NULL), (3, 'a');
-- == declared ==
CREATE TABLE pages (id integer PRIMARY KEY, slug text UNIQUE);
