-- source: psqldef case "PartitionDefault"
-- == current ==
CREATE TABLE events (id bigint NOT NULL, kind text NOT NULL) PARTITION BY LIST (kind);
CREATE TABLE events_a PARTITION OF events FOR VALUES IN ('a');
-- == declared ==
CREATE TABLE events (id bigint NOT NULL, kind text NOT NULL) PARTITION BY LIST (kind);
CREATE TABLE events_a PARTITION OF events FOR VALUES IN ('a');
CREATE TABLE events_rest PARTITION OF events DEFAULT;
