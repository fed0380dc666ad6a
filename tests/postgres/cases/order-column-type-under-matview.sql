-- source: issue 15 §3 (kind of change migra/pg-schema-diff test: a materialized view reads a column whose type changes)
-- == current ==
CREATE TABLE notes (id integer PRIMARY KEY, body varchar(50));
INSERT INTO notes VALUES (1, 'x');
CREATE MATERIALIZED VIEW note_bodies AS SELECT id, body FROM notes;
CREATE INDEX note_bodies_id ON note_bodies (id);
-- == declared ==
CREATE TABLE notes (id integer PRIMARY KEY, body text);
CREATE MATERIALIZED VIEW note_bodies AS SELECT id, body FROM notes;
CREATE INDEX note_bodies_id ON note_bodies (id);
