-- source: issue 15 §4 (ALTER TABLE … INHERIT in a file: refused before anything runs)
-- expect: refused 65
-- message: ALTER TABLE … INHERIT parent
-- == current ==
CREATE TABLE parent (id integer, name text);
CREATE TABLE child (id integer, name text, note text);
INSERT INTO child VALUES (1, 'a', 'n');
-- == declared ==
CREATE TABLE parent (id integer, name text);
CREATE TABLE child (id integer, name text, note text);
ALTER TABLE child INHERIT parent;
