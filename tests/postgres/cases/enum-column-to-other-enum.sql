-- source: issue 15 §4 (enum-to-enum changes: a column moves to another enum type, converted by a using= hint)
-- command: repair
-- == current ==
CREATE TYPE old_state AS ENUM ('on', 'off');
CREATE TABLE lamps (id integer PRIMARY KEY, state old_state NOT NULL DEFAULT 'off');
INSERT INTO lamps VALUES (1, 'on'), (2, 'off');
-- == declared ==
CREATE TYPE new_state AS ENUM ('off', 'dim', 'on');
CREATE TABLE lamps (
    id integer PRIMARY KEY,
    state new_state NOT NULL DEFAULT 'dim' -- dbinit: using=state::text::new_state
);
-- == expected ==
CREATE TYPE old_state AS ENUM ('on', 'off');
CREATE TYPE new_state AS ENUM ('off', 'dim', 'on');
CREATE TABLE lamps (id integer PRIMARY KEY, state new_state NOT NULL DEFAULT 'dim');
