-- source: issue 15 §4 (a pinned extension version with no update path from the live one: refused before anything runs)
-- expect: refused 3
-- message: no update path
-- == current ==
CREATE EXTENSION citext VERSION '1.6';
CREATE TABLE users (id integer PRIMARY KEY, email citext);
-- == declared ==
CREATE EXTENSION citext VERSION '1.4';
CREATE TABLE users (id integer PRIMARY KEY, email citext, name text);
