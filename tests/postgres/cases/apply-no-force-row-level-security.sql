-- source: pg-schema-diff acceptance "Unforce RLS" (FORCE removed from the files)
-- == current ==
CREATE TABLE notes (id integer PRIMARY KEY, owner text NOT NULL);
ALTER TABLE notes ENABLE ROW LEVEL SECURITY;
ALTER TABLE notes FORCE ROW LEVEL SECURITY;
INSERT INTO notes VALUES (1, 'ann');
-- == declared ==
CREATE TABLE notes (id integer PRIMARY KEY, owner text NOT NULL);
ALTER TABLE notes ENABLE ROW LEVEL SECURITY;
