-- source: issue 15 §3 (two UNIQUE constraints over the same column, as pg_dump writes them)
-- == current ==
-- == declared ==
CREATE TABLE tags (id integer NOT NULL, name text NOT NULL);
ALTER TABLE tags ADD CONSTRAINT tags_pkey PRIMARY KEY (id);
ALTER TABLE tags ADD CONSTRAINT tags_name_key UNIQUE (name);
ALTER TABLE tags ADD CONSTRAINT tags_name_key1 UNIQUE (name);
