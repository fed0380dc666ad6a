-- source: pg-schema-diff acceptance "Alter domain constraint"
-- == current ==
CREATE DOMAIN email AS text CONSTRAINT email_at CHECK (VALUE LIKE '%@%');
CREATE TABLE users (id integer PRIMARY KEY, email email NOT NULL);
INSERT INTO users VALUES (1, 'a@x.io');
-- == declared ==
CREATE DOMAIN email AS text CONSTRAINT email_at CHECK (VALUE LIKE '%@%.%');
CREATE TABLE users (id integer PRIMARY KEY, email email NOT NULL);
