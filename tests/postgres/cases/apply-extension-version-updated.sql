-- source: issue 15 §4 (CREATE EXTENSION … VERSION was silently not applied while check said in sync)
-- verify: SELECT extversion = '1.5' FROM pg_extension WHERE extname = 'citext'
-- == current ==
CREATE EXTENSION citext VERSION '1.4';
CREATE TABLE users (id integer PRIMARY KEY, email citext);
INSERT INTO users VALUES (1, 'A@x.io');
-- == declared ==
CREATE EXTENSION citext VERSION '1.5';
CREATE TABLE users (id integer PRIMARY KEY, email citext);
