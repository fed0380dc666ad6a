-- source: migra fixture "everything" (a composite type the files no longer declare, pruned)
-- command: repair
-- args: --prune
-- == current ==
CREATE TYPE pair AS (a integer, b integer);
CREATE TABLE t (id integer PRIMARY KEY);
INSERT INTO t VALUES (1);
-- == declared ==
CREATE TABLE t (id integer PRIMARY KEY);
