-- source: pg-schema-diff acceptance "Drop policy"
-- command: repair --yes --prune
-- == current ==
CREATE TABLE docs (id integer PRIMARY KEY, owner text NOT NULL);
ALTER TABLE docs ENABLE ROW LEVEL SECURITY;
CREATE POLICY docs_p ON docs FOR SELECT USING (owner = current_user);
-- == declared ==
CREATE TABLE docs (id integer PRIMARY KEY, owner text NOT NULL);
ALTER TABLE docs ENABLE ROW LEVEL SECURITY;
