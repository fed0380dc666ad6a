-- source: issue 15 §4 (enum-to-enum changes: a column moves to another enum type with no cast said: refused before anything runs)
-- expect: refused 3
-- message: using=
-- command: repair
-- == current ==
CREATE TYPE old_state AS ENUM ('on', 'off');
CREATE TABLE lamps (id integer PRIMARY KEY, state old_state NOT NULL);
INSERT INTO lamps VALUES (1, 'on'), (2, 'off');
-- == declared ==
CREATE TYPE old_state AS ENUM ('on', 'off');
CREATE TYPE new_state AS ENUM ('off', 'on');
CREATE TABLE lamps (id integer PRIMARY KEY, state new_state NOT NULL);
