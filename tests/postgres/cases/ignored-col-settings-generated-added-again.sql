-- source: issue 15 §4 (a stored generated column dropped and added again around a type change it reads keeps its declared settings)
-- command: repair
-- == current ==
CREATE TABLE t (id integer PRIMARY KEY, a integer, g numeric GENERATED ALWAYS AS (a * 2) STORED);
ALTER TABLE t ALTER COLUMN g SET STATISTICS 300, ALTER COLUMN g SET (n_distinct = 7);
INSERT INTO t (id, a) VALUES (1, 2);
-- == declared ==
CREATE TABLE t (id integer PRIMARY KEY, a bigint, g numeric GENERATED ALWAYS AS (a * 2) STORED);
ALTER TABLE t ALTER COLUMN g SET STATISTICS 300, ALTER COLUMN g SET (n_distinct = 7);
