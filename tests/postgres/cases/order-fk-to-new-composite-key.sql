-- source: issue 15 §4 ("no unique constraint matching given keys": a FK to a new composite primary key)
-- == current ==
CREATE TABLE regions (country text NOT NULL, code text NOT NULL);
CREATE TABLE shops (id integer PRIMARY KEY, country text, region text);
INSERT INTO regions VALUES ('fr', 'idf');
INSERT INTO shops VALUES (1, 'fr', 'idf');
-- == declared ==
CREATE TABLE regions (country text NOT NULL, code text NOT NULL, PRIMARY KEY (country, code));
CREATE TABLE shops (id integer PRIMARY KEY, country text, region text,
  FOREIGN KEY (country, region) REFERENCES regions (country, code));
