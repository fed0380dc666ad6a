-- source: pg-schema-diff acceptance enum "delete value and add value (enum not used)"
-- command: repair
-- args: --allow-data-loss
-- == current ==
CREATE TYPE some_enum_1 AS ENUM ('1', '2', '3');
-- == declared ==
CREATE TYPE some_enum_1 AS ENUM ('0', '1', '3');
