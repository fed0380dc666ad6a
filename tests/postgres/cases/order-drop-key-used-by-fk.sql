-- source: issue 15 §3 (dropping a UNIQUE key a foreign key uses; the FK now points at the primary key)
-- command: repair
-- args: --prune --allow-data-loss
-- == current ==
CREATE TABLE teams (id integer PRIMARY KEY, code text NOT NULL UNIQUE);
CREATE TABLE players (id integer PRIMARY KEY, team_code text REFERENCES teams (code));
INSERT INTO teams VALUES (1, 'a');
INSERT INTO players VALUES (1, 'a');
-- == declared ==
CREATE TABLE teams (id integer PRIMARY KEY, code text NOT NULL);
CREATE TABLE players (id integer PRIMARY KEY, team_code text);
