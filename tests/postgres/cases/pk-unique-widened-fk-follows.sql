-- source: issue 15 §3/§4 (a UNIQUE a foreign key uses changes columns: "no unique constraint matching given keys")
-- == current ==
CREATE TABLE regions (id integer PRIMARY KEY, country text NOT NULL, code text NOT NULL, CONSTRAINT regions_code_key UNIQUE (code));
CREATE TABLE stores (id integer PRIMARY KEY, country text, region_code text, CONSTRAINT stores_region_fk FOREIGN KEY (region_code) REFERENCES regions (code));
INSERT INTO regions VALUES (1, 'fr', 'n'), (2, 'de', 's');
INSERT INTO stores VALUES (1, 'fr', 'n'), (2, 'de', 's');
-- == declared ==
CREATE TABLE regions (id integer PRIMARY KEY, country text NOT NULL, code text NOT NULL, CONSTRAINT regions_code_key UNIQUE (country, code));
CREATE TABLE stores (id integer PRIMARY KEY, country text, region_code text, CONSTRAINT stores_region_fk FOREIGN KEY (country, region_code) REFERENCES regions (country, code));
