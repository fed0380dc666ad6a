-- source: issue 15 §4 (dropping an indexed column: its index goes with it)
-- command: repair
-- args: --prune --allow-data-loss
-- == current ==
CREATE TABLE logs (id integer PRIMARY KEY, at timestamptz, msg text);
CREATE INDEX logs_at ON logs (at);
CREATE INDEX logs_at_msg ON logs (at, msg);
INSERT INTO logs VALUES (1, now(), 'x');
-- == declared ==
CREATE TABLE logs (id integer PRIMARY KEY, msg text);
