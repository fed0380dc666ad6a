-- source: issue 15 §4 (column settings of a table the plan creates, and of a column it adds)
-- == current ==
CREATE TABLE docs (id integer PRIMARY KEY);
-- == declared ==
CREATE TABLE docs (id integer PRIMARY KEY, body text COMPRESSION lz4);
ALTER TABLE docs ALTER COLUMN body SET STATISTICS 250, ALTER COLUMN body SET STORAGE EXTERNAL;
ALTER TABLE docs ALTER COLUMN body SET (n_distinct = -1);
CREATE TABLE events (id integer PRIMARY KEY, kind text COMPRESSION pglz);
ALTER TABLE events ALTER COLUMN kind SET STATISTICS 750;
ALTER TABLE events ALTER COLUMN kind SET STORAGE MAIN;
ALTER TABLE events ALTER COLUMN id SET (n_distinct_inherited = 3);
