-- source: issue 15 §4 (refusing INHERITS keeps PARTITION OF, which the parse tree also records as inheritance)
-- == current ==
-- == declared ==
CREATE TABLE events (id integer NOT NULL, at date NOT NULL) PARTITION BY RANGE (at);
CREATE TABLE events_2024 PARTITION OF events FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
