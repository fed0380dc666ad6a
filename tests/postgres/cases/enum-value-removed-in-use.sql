-- source: pg-schema-diff acceptance enum "delete value and add value (enum used)" (a row holds the removed value: refused, nothing changed)
-- command: repair
-- args: --allow-data-loss
-- expect: refused 3
-- message: 2
-- == current ==
CREATE TYPE some_enum_1 AS ENUM ('1', '2', '3');
CREATE TABLE foo (val some_enum_1);
INSERT INTO foo VALUES ('1'), ('2');
-- == declared ==
CREATE TYPE some_enum_1 AS ENUM ('0', '1', '3');
CREATE TABLE foo (val some_enum_1);
