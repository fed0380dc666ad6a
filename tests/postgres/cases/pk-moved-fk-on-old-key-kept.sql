-- source: issue 15 §3 (the primary key moves to another column; a foreign key still references the old key's column, now UNIQUE)
-- command: repair
-- == current ==
CREATE TABLE parents (id integer PRIMARY KEY, code text NOT NULL);
CREATE TABLE children (id integer PRIMARY KEY, parent_id integer REFERENCES parents (id));
INSERT INTO parents VALUES (1, 'one'), (2, 'two');
INSERT INTO children VALUES (10, 1), (11, 2);
-- == declared ==
CREATE TABLE parents (id integer NOT NULL UNIQUE, code text PRIMARY KEY);
CREATE TABLE children (id integer PRIMARY KEY, parent_id integer REFERENCES parents (id));
