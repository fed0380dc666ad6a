-- source: pg-schema-diff acceptance "Create hash partitioned table"
-- == current ==
-- == declared ==
CREATE TABLE sessions (id uuid NOT NULL PRIMARY KEY, data jsonb) PARTITION BY HASH (id);
CREATE TABLE sessions_0 PARTITION OF sessions FOR VALUES WITH (MODULUS 2, REMAINDER 0);
CREATE TABLE sessions_1 PARTITION OF sessions FOR VALUES WITH (MODULUS 2, REMAINDER 1);
