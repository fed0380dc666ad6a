-- source: issue 15 §3 (found by tests/postgres/test_plan_properties.py: an enum loses a value while the only column of that type is dropped; the rebuilt enum converted the dropped column)
-- command: repair
-- args: --prune --allow-data-loss
-- == current ==
CREATE TYPE mood AS ENUM ('happy', 'ok');
CREATE TABLE child (id integer PRIMARY KEY, qty integer, m mood);
INSERT INTO child VALUES (1, 5, 'happy'), (2, 7, 'ok');
CREATE TABLE gone (id integer PRIMARY KEY, m mood);
INSERT INTO gone VALUES (1, 'ok');
-- == declared ==
CREATE TYPE mood AS ENUM ('happy');
CREATE TABLE child (id integer PRIMARY KEY, qty integer);
