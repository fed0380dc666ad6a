-- source: issue 15 §3 (unlogged tables)
-- command: repair --yes
-- == current ==
CREATE TABLE cache (k text PRIMARY KEY, v text);
INSERT INTO cache VALUES ('a', '1');
-- == declared ==
CREATE UNLOGGED TABLE cache (k text PRIMARY KEY, v text);
