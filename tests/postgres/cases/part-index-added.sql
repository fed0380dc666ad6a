-- source: pg-schema-diff acceptance "Add index to partitioned table"
-- == current ==
CREATE TABLE events (id bigint NOT NULL, at date NOT NULL, body text) PARTITION BY LIST (body);
CREATE TABLE events_a PARTITION OF events FOR VALUES IN ('a');
CREATE TABLE events_b PARTITION OF events FOR VALUES IN ('b');
INSERT INTO events VALUES (1, '2025-03-01', 'a'), (2, '2025-04-01', 'b');
-- == declared ==
CREATE TABLE events (id bigint NOT NULL, at date NOT NULL, body text) PARTITION BY LIST (body);
CREATE TABLE events_a PARTITION OF events FOR VALUES IN ('a');
CREATE TABLE events_b PARTITION OF events FOR VALUES IN ('b');
CREATE INDEX events_at_idx ON events (at);
