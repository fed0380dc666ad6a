-- source: psqldef case "AlterTypeAttribute" (an attribute's type changes; no column uses the type)
-- verify: SELECT format_type(atttypid, atttypmod) = 'bigint' FROM pg_attribute WHERE attrelid = 'pair'::regclass AND attname = 'b'
-- == current ==
CREATE TYPE pair AS (a integer, b integer);
-- == declared ==
CREATE TYPE pair AS (a integer, b bigint);
