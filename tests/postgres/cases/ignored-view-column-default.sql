-- source: issue 15 §4 audit (a view column's DEFAULT, as pg_dump writes it with ALTER TABLE ONLY, was accepted and never applied)
-- == current ==
CREATE TABLE t (id integer PRIMARY KEY, kind text, note text);
CREATE VIEW v AS SELECT id, kind, note FROM t;
ALTER VIEW v ALTER COLUMN note SET DEFAULT 'old';
CREATE VIEW w AS SELECT id FROM v;
INSERT INTO t VALUES (1, 'a', 'x');
-- == declared ==
CREATE TABLE t (id integer PRIMARY KEY, kind text, note text);
CREATE VIEW v AS SELECT id, kind, note FROM t;
ALTER TABLE ONLY v ALTER COLUMN kind SET DEFAULT 'plain';
CREATE VIEW w AS SELECT id FROM v;
CREATE VIEW fresh AS SELECT id, kind FROM t;
ALTER VIEW fresh ALTER COLUMN kind SET DEFAULT 'new';
