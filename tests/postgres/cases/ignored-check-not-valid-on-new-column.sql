-- source: issue 15 §4 audit (a CHECK declared NOT VALID on a column the plan adds was validated in the transaction: the rows before it broke the run)
-- verify: SELECT NOT convalidated FROM pg_constraint WHERE conname = 'b_positive'
-- == current ==
CREATE TABLE t (id integer PRIMARY KEY);
INSERT INTO t VALUES (1), (2);
-- == declared ==
CREATE TABLE t (id integer PRIMARY KEY, b integer DEFAULT -1);
ALTER TABLE t ADD CONSTRAINT b_positive CHECK (b > 0) NOT VALID;
