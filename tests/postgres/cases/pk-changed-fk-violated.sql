-- source: issue 15 §3/§4 (a primary key a foreign key uses changes, and the children's rows do not match the new key: refused before anything runs)
-- expect: refused 3
-- message: stores_region_fk
-- == current ==
CREATE TABLE regions (country text NOT NULL, code text PRIMARY KEY);
CREATE TABLE stores (id integer PRIMARY KEY, country text, region_code text, CONSTRAINT stores_region_fk FOREIGN KEY (region_code) REFERENCES regions (code));
INSERT INTO regions VALUES ('fr', 'n'), ('de', 's');
INSERT INTO stores VALUES (1, 'de', 'n'), (2, 'de', 's');
-- == declared ==
CREATE TABLE regions (country text NOT NULL, code text NOT NULL, PRIMARY KEY (country, code));
CREATE TABLE stores (id integer PRIMARY KEY, country text, region_code text, CONSTRAINT stores_region_fk FOREIGN KEY (country, region_code) REFERENCES regions (country, code));
