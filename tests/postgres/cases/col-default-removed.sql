-- source: pg-schema-diff acceptance "Remove Default"
-- == current ==
CREATE TABLE foobar (id integer PRIMARY KEY, v varchar(255) DEFAULT '');
-- == declared ==
CREATE TABLE foobar (id integer PRIMARY KEY, v varchar(255));
