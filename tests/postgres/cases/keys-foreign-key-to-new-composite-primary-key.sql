-- source: issue 15 §4 (a FK to a new composite primary key ended 69)
-- == current ==
CREATE TABLE regions (country text NOT NULL, code text NOT NULL);
CREATE TABLE shops (id integer PRIMARY KEY, country text, code text);
INSERT INTO regions VALUES ('de', 'be'), ('fr', 'pa');
INSERT INTO shops VALUES (1, 'de', 'be');
-- == declared ==
CREATE TABLE regions (country text NOT NULL, code text NOT NULL, PRIMARY KEY (country, code));
CREATE TABLE shops (id integer PRIMARY KEY, country text, code text,
  FOREIGN KEY (country, code) REFERENCES regions (country, code));
