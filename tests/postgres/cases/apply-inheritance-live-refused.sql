-- source: issue 15 §4 (table inheritance in the database, not declared: a parent's dropped column took the child's values)
-- expect: refused 3
-- message: inherit
-- == current ==
CREATE TABLE parent (id integer, name text);
CREATE TABLE child (note text) INHERITS (parent);
INSERT INTO child VALUES (1, 'a', 'n');
-- == declared ==
CREATE TABLE parent (id integer, name text, added text);
CREATE TABLE child (id integer, name text, note text);
