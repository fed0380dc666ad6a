-- source: pg-schema-diff acceptance "Alter policy command (needs drop and create)"
-- == current ==
CREATE TABLE docs (id integer PRIMARY KEY, owner text NOT NULL);
ALTER TABLE docs ENABLE ROW LEVEL SECURITY;
CREATE POLICY docs_p ON docs FOR SELECT USING (owner = current_user);
-- == declared ==
CREATE TABLE docs (id integer PRIMARY KEY, owner text NOT NULL);
ALTER TABLE docs ENABLE ROW LEVEL SECURITY;
CREATE POLICY docs_p ON docs AS RESTRICTIVE FOR UPDATE USING (owner = current_user) WITH CHECK (owner = current_user);
