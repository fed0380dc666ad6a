-- source: psqldef case "ForceRowLevelSecurity"
-- == current ==
CREATE TABLE docs (id integer PRIMARY KEY, owner text NOT NULL);
ALTER TABLE docs ENABLE ROW LEVEL SECURITY;
-- == declared ==
CREATE TABLE docs (id integer PRIMARY KEY, owner text NOT NULL);
ALTER TABLE docs ENABLE ROW LEVEL SECURITY;
ALTER TABLE docs FORCE ROW LEVEL SECURITY;
