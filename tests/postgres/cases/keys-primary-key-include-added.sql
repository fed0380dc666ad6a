-- source: issue 15 §3 (PRIMARY KEY with INCLUDE lost when added online)
-- == current ==
CREATE TABLE events (id integer NOT NULL, kind text);
INSERT INTO events VALUES (1, 'a'), (2, 'b');
-- == declared ==
CREATE TABLE events (id integer NOT NULL, kind text, CONSTRAINT events_pkey PRIMARY KEY (id) INCLUDE (kind));
