-- source: pg-schema-diff acceptance "Disable RLS on table"
-- == current ==
CREATE TABLE docs (id integer PRIMARY KEY, owner text NOT NULL);
ALTER TABLE docs ENABLE ROW LEVEL SECURITY;
INSERT INTO docs VALUES (1, 'ann');
-- == declared ==
CREATE TABLE docs (id integer PRIMARY KEY, owner text NOT NULL);
