-- source: migra fixture "enumdeps" (a value appended)
-- == current ==
CREATE TYPE mood AS ENUM ('sad', 'ok');
CREATE TABLE people (id integer PRIMARY KEY, mood mood);
INSERT INTO people VALUES (1, 'ok');
-- == declared ==
CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy');
CREATE TABLE people (id integer PRIMARY KEY, mood mood);
