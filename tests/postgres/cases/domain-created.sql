-- source: pg-schema-diff acceptance "Create domain"
-- == current ==
-- == declared ==
CREATE DOMAIN email AS text CHECK (VALUE LIKE '%@%');
CREATE TABLE users (id integer PRIMARY KEY, email email NOT NULL);
