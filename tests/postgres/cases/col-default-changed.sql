-- source: pg-schema-diff acceptance "Change Default"
-- == current ==
CREATE TABLE foobar (id integer PRIMARY KEY, v varchar(255) DEFAULT 'Something else');
-- == declared ==
CREATE TABLE foobar (id integer PRIMARY KEY, v varchar(255) DEFAULT '');
