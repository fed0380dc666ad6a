-- source: issue 15 §4 (FORCE ROW LEVEL SECURITY silently not applied; pg-schema-diff acceptance "Force RLS")
-- verify: SELECT relforcerowsecurity FROM pg_class WHERE relname = 'notes'
-- == current ==
CREATE TABLE notes (id integer PRIMARY KEY, owner text NOT NULL);
ALTER TABLE notes ENABLE ROW LEVEL SECURITY;
INSERT INTO notes VALUES (1, 'ann');
-- == declared ==
CREATE TABLE notes (id integer PRIMARY KEY, owner text NOT NULL);
ALTER TABLE notes ENABLE ROW LEVEL SECURITY;
ALTER TABLE notes FORCE ROW LEVEL SECURITY;
CREATE POLICY notes_owner ON notes USING (owner = current_user);
