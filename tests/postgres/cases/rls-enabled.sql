-- source: pg-schema-diff acceptance "Enable RLS on table"
-- == current ==
CREATE TABLE docs (id integer PRIMARY KEY, owner text NOT NULL);
INSERT INTO docs VALUES (1, 'ann');
-- == declared ==
CREATE TABLE docs (id integer PRIMARY KEY, owner text NOT NULL);
ALTER TABLE docs ENABLE ROW LEVEL SECURITY;
