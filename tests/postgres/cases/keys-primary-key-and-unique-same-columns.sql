-- source: issue 15 §3 (PostgREST's apflora fixture, as pg_dump writes it: a PRIMARY KEY plus a UNIQUE on the same columns; the first init ended 70)
-- == current ==
-- == declared ==
CREATE TABLE apflora_ap (id uuid NOT NULL, art_id integer);
CREATE TABLE apflora_pop (id uuid NOT NULL, ap_id uuid);
ALTER TABLE ONLY apflora_ap ADD CONSTRAINT apflora_ap_pkey PRIMARY KEY (id);
ALTER TABLE ONLY apflora_ap ADD CONSTRAINT apflora_ap_id_key UNIQUE (id);
ALTER TABLE ONLY apflora_pop ADD CONSTRAINT apflora_pop_pkey PRIMARY KEY (id);
ALTER TABLE ONLY apflora_pop ADD CONSTRAINT apflora_pop_ap_id_fkey FOREIGN KEY (ap_id) REFERENCES apflora_ap (id);
