-- source: psqldef case "UniqueNullsNotDistinct" in spirit (a new table)
-- == current ==
-- == declared ==
CREATE TABLE slots (id integer PRIMARY KEY, room text, at integer, UNIQUE NULLS NOT DISTINCT (room, at));
