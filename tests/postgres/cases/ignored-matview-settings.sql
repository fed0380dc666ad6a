-- source: issue 15 §4 audit (a materialized view's column settings and CLUSTER ON, as pg_dump writes them with ALTER TABLE ONLY, were accepted and never applied)
-- == current ==
CREATE TABLE t (id integer PRIMARY KEY, kind text, note text);
CREATE MATERIALIZED VIEW m AS SELECT id, kind, note FROM t;
CREATE INDEX m_id ON m (id);
ALTER MATERIALIZED VIEW m ALTER COLUMN note SET STATISTICS 100;
INSERT INTO t VALUES (1, 'a', 'x');
-- == declared ==
CREATE TABLE t (id integer PRIMARY KEY, kind text, note text);
CREATE MATERIALIZED VIEW m AS SELECT id, kind, note FROM t;
CREATE INDEX m_id ON m (id);
ALTER TABLE ONLY m ALTER COLUMN kind SET STATISTICS 400;
ALTER TABLE ONLY m ALTER COLUMN note SET STORAGE EXTERNAL;
ALTER TABLE ONLY m ALTER COLUMN note SET (n_distinct = 10);
ALTER TABLE m CLUSTER ON m_id;
CREATE MATERIALIZED VIEW fresh AS SELECT id, kind FROM t;
CREATE INDEX fresh_id ON fresh (id);
ALTER TABLE ONLY fresh ALTER COLUMN kind SET COMPRESSION lz4;
ALTER TABLE fresh CLUSTER ON fresh_id;
