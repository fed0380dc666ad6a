-- source: pg-schema-diff acceptance "Alter policy using"
-- == current ==
CREATE TABLE docs (id integer PRIMARY KEY, owner text NOT NULL, public boolean NOT NULL DEFAULT false);
ALTER TABLE docs ENABLE ROW LEVEL SECURITY;
CREATE POLICY docs_read ON docs FOR SELECT USING (owner = current_user);
-- == declared ==
CREATE TABLE docs (id integer PRIMARY KEY, owner text NOT NULL, public boolean NOT NULL DEFAULT false);
ALTER TABLE docs ENABLE ROW LEVEL SECURITY;
CREATE POLICY docs_read ON docs FOR SELECT USING (owner = current_user OR public);
