-- source: issue 15 §4 (UNIQUE NULLS NOT DISTINCT added online lost its option, then exit 70 after commit; pg-schema-diff acceptance "Add unique constraint nulls not distinct")
-- == current ==
CREATE TABLE slots (id integer PRIMARY KEY, room text, at integer);
INSERT INTO slots VALUES (1, 'a', 1), (2, 'a', NULL), (3, NULL, 1);
-- == declared ==
CREATE TABLE slots (id integer PRIMARY KEY, room text, at integer,
  CONSTRAINT slots_room_at UNIQUE NULLS NOT DISTINCT (room, at));
