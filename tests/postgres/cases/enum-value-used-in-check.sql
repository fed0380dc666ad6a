-- source: issue 15 §3/§4 (a new enum value used by a new CHECK and a new view in the same run)
-- == current ==
CREATE TYPE level AS ENUM ('low', 'high');
CREATE TABLE alerts (id integer PRIMARY KEY, level level NOT NULL);
INSERT INTO alerts VALUES (1, 'low');
-- == declared ==
CREATE TYPE level AS ENUM ('low', 'mid', 'high');
CREATE TABLE alerts (id integer PRIMARY KEY, level level NOT NULL CHECK (level <> 'mid'));
CREATE VIEW mid_alerts AS SELECT id FROM alerts WHERE level = 'mid';
