-- source: issue 15 §3 (apflora: the UNIQUE on the primary key's columns added to a populated table)
-- == current ==
CREATE TABLE apflora_ap (id integer PRIMARY KEY, art_id integer);
INSERT INTO apflora_ap VALUES (1, 10), (2, 20);
-- == declared ==
CREATE TABLE apflora_ap (id integer NOT NULL, art_id integer);
ALTER TABLE apflora_ap ADD CONSTRAINT apflora_ap_pkey PRIMARY KEY (id);
ALTER TABLE apflora_ap ADD CONSTRAINT apflora_ap_id_key UNIQUE (id);
