-- source: migra fixture "constraints" (a DEFERRABLE INITIALLY DEFERRED UNIQUE)
-- == current ==
CREATE TABLE slots (id integer PRIMARY KEY, pos integer NOT NULL);
INSERT INTO slots VALUES (1, 1), (2, 2);
-- == declared ==
CREATE TABLE slots (id integer PRIMARY KEY, pos integer NOT NULL,
  CONSTRAINT slots_pos_key UNIQUE (pos) DEFERRABLE INITIALLY DEFERRED);
