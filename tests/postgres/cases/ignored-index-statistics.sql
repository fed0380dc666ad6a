-- source: issue 15 §4 audit (ALTER INDEX … ALTER COLUMN n SET STATISTICS, as pg_dump writes it for an expression index, was accepted, never applied)
-- == current ==
CREATE TABLE t (id integer PRIMARY KEY, a integer, b integer, c text);
CREATE INDEX t_sum ON t ((a + b));
CREATE INDEX t_lower ON t (lower(c));
ALTER INDEX t_lower ALTER COLUMN 1 SET STATISTICS 200;
CREATE INDEX t_diff ON t ((a - b));
INSERT INTO t VALUES (1, 2, 3, 'x');
-- == declared ==
CREATE TABLE t (id integer PRIMARY KEY, a integer, b integer, c text);
CREATE INDEX t_sum ON t ((a + b));
ALTER INDEX public.t_sum ALTER COLUMN 1 SET STATISTICS 500;
CREATE INDEX t_lower ON t (lower(c));
CREATE INDEX t_upper ON t (upper(c), id);
ALTER INDEX t_upper ALTER COLUMN 1 SET STATISTICS 300;
CREATE INDEX t_diff ON t ((b - a));
ALTER INDEX t_diff ALTER COLUMN 1 SET STATISTICS 50;
CREATE TABLE u (id integer PRIMARY KEY, name text);
CREATE INDEX u_lower ON u (lower(name));
ALTER INDEX u_lower ALTER COLUMN 1 SET STATISTICS 1000;
