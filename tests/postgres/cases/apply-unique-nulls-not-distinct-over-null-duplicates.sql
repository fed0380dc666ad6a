-- source: issue 15 §4 (NULLS NOT DISTINCT: two rows with the same NULL key are duplicates, counted before anything runs)
-- expect: refused 3
-- message: slots_room_at
-- == current ==
CREATE TABLE slots (id integer PRIMARY KEY, room text, at integer);
INSERT INTO slots VALUES (1, 'a', NULL), (2, 'a', NULL);
-- == declared ==
CREATE TABLE slots (id integer PRIMARY KEY, room text, at integer,
  CONSTRAINT slots_room_at UNIQUE NULLS NOT DISTINCT (room, at));
