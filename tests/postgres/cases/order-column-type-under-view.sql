-- source: issue 15 §3 (changing the type of a column a view reads: drop the view, alter, recreate)
-- == current ==
CREATE TABLE people (id integer PRIMARY KEY, name varchar(20) NOT NULL);
INSERT INTO people VALUES (1, 'ann'), (2, 'bob');
CREATE VIEW people_names AS SELECT id, name FROM people;
CREATE VIEW short_names AS SELECT name FROM people_names WHERE length(name) < 5;
-- == declared ==
CREATE TABLE people (id integer PRIMARY KEY, name varchar(100) NOT NULL);
CREATE VIEW people_names AS SELECT id, name FROM people;
CREATE VIEW short_names AS SELECT name FROM people_names WHERE length(name) < 5;
