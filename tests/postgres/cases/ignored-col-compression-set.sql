-- source: issue 15 §4 (ALTER COLUMN … SET COMPRESSION was accepted, never applied)
-- == current ==
CREATE TABLE docs (id integer PRIMARY KEY, body text, note text COMPRESSION pglz);
INSERT INTO docs VALUES (1, 'x', 'y');
-- == declared ==
CREATE TABLE docs (id integer PRIMARY KEY, body text, note text);
ALTER TABLE ONLY docs ALTER COLUMN body SET COMPRESSION lz4;
