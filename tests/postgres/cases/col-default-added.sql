-- source: pg-schema-diff acceptance "Add Default"
-- == current ==
CREATE TABLE foobar (id integer PRIMARY KEY, v varchar(255));
-- == declared ==
CREATE TABLE foobar (id integer PRIMARY KEY, v varchar(255) DEFAULT '');
