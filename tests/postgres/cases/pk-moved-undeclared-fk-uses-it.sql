-- source: issue 15 §3/§4 (a primary key changes while a foreign key the files do not declare uses it: refused before anything runs, never 70)
-- command: repair
-- expect: refused 3
-- message: not declared
-- == current ==
CREATE TABLE parents (id integer PRIMARY KEY, code text NOT NULL);
CREATE TABLE children (id integer PRIMARY KEY, parent_id integer, CONSTRAINT children_parent_fk FOREIGN KEY (parent_id) REFERENCES parents (id));
INSERT INTO parents VALUES (1, 'one');
INSERT INTO children VALUES (10, 1);
-- == declared ==
CREATE TABLE parents (id integer NOT NULL UNIQUE, code text PRIMARY KEY);
CREATE TABLE children (id integer PRIMARY KEY, parent_id integer);
