-- source: issue 15 §4 audit (a partition's own storage options, row-level security, replica identity, CLUSTER ON and column settings, as pg_dump writes them, were accepted and never compared)
-- == current ==
CREATE TABLE events (id integer NOT NULL, at date NOT NULL, kind text) PARTITION BY RANGE (at);
CREATE INDEX events_at ON events (at);
CREATE TABLE events_2024 PARTITION OF events FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
ALTER TABLE events_2024 SET (autovacuum_enabled = off);
INSERT INTO events VALUES (1, '2024-02-02', 'a');
-- == declared ==
CREATE TABLE events (id integer NOT NULL, at date NOT NULL, kind text) PARTITION BY RANGE (at);
ALTER TABLE ONLY events ALTER COLUMN kind SET STATISTICS 300;
CREATE INDEX events_at ON events (at);
CREATE TABLE events_2024 PARTITION OF events FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
ALTER TABLE events_2024 SET (fillfactor = 80);
ALTER TABLE events_2024 ENABLE ROW LEVEL SECURITY;
ALTER TABLE ONLY events_2024 ALTER COLUMN kind SET STATISTICS 500;
ALTER TABLE events_2024 CLUSTER ON events_2024_at_idx;
ALTER TABLE events_2024 REPLICA IDENTITY FULL;
CREATE TABLE events_2025 PARTITION OF events FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');
ALTER TABLE ONLY events_2025 ALTER COLUMN kind SET STORAGE MAIN;
ALTER TABLE events_2025 FORCE ROW LEVEL SECURITY;
ALTER TABLE events_2025 CLUSTER ON events_2025_at_idx;
