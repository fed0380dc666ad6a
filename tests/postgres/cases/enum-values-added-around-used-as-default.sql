-- source: pg-schema-diff acceptance enum "add values" (values added before, between and after, one used as the new default)
-- == current ==
CREATE TYPE some_enum_1 AS ENUM ('1', '2', '3');
CREATE TABLE foo (val some_enum_1);
INSERT INTO foo VALUES ('1'), ('3'), (NULL);
-- == declared ==
CREATE TYPE some_enum_1 AS ENUM ('0', '1', '1.5', '2', '2.5', '3', '4');
CREATE TABLE foo (val some_enum_1 DEFAULT '1.5');
