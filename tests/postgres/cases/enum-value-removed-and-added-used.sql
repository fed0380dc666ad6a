-- source: pg-schema-diff acceptance enum "delete value and add value (enum used)" (no row holds the removed value)
-- command: repair
-- args: --allow-data-loss
-- == current ==
CREATE TYPE some_enum_1 AS ENUM ('1', '2', '3');
CREATE TABLE foo (val some_enum_1 DEFAULT '3');
INSERT INTO foo VALUES ('1'), ('3'), (NULL);
-- == declared ==
CREATE TYPE some_enum_1 AS ENUM ('0', '1', '3');
CREATE TABLE foo (val some_enum_1 DEFAULT '0');
