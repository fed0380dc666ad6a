-- source: issue 15 §4 audit (a table's toast.* storage options, kept on its TOAST table, were accepted and never applied)
-- == current ==
CREATE TABLE docs (id integer PRIMARY KEY, body text) WITH (toast.autovacuum_enabled = false);
CREATE TABLE notes (id integer PRIMARY KEY, body text);
INSERT INTO docs VALUES (1, 'x');
-- == declared ==
CREATE TABLE docs (id integer PRIMARY KEY, body text) WITH (fillfactor = 80);
CREATE TABLE notes (id integer PRIMARY KEY, body text);
ALTER TABLE notes SET (toast_tuple_target = 256, toast.autovacuum_vacuum_scale_factor = 0.05);
CREATE TABLE fresh (id integer PRIMARY KEY, body text) WITH (toast.autovacuum_enabled = false);
