-- source: issue 15 §3 (a table that becomes partitioned under a materialized view: keeping rows or a clear refusal)
-- expect: refused 3
-- message: partitioned
-- == current ==
CREATE TABLE measures (at date NOT NULL, v integer);
INSERT INTO measures VALUES ('2024-01-02', 1);
CREATE MATERIALIZED VIEW daily AS SELECT at, sum(v) AS v FROM measures GROUP BY at;
-- == declared ==
CREATE TABLE measures (at date NOT NULL, v integer) PARTITION BY RANGE (at);
CREATE TABLE measures_2024 PARTITION OF measures FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
CREATE MATERIALIZED VIEW daily AS SELECT at, sum(v) AS v FROM measures GROUP BY at;
