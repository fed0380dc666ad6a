-- source: issue 15 §3 (MusicBrainz: a view with NULL in a UNION)
-- == current ==
CREATE TABLE a (id integer PRIMARY KEY, name text);
CREATE TABLE b (id integer PRIMARY KEY);
-- == declared ==
CREATE TABLE a (id integer PRIMARY KEY, name text);
CREATE TABLE b (id integer PRIMARY KEY);
CREATE VIEW ab AS SELECT id, name FROM a UNION ALL SELECT id, NULL FROM b;
