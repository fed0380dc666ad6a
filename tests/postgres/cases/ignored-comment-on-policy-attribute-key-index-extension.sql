-- source: issue 15 §4 audit (COMMENT ON a policy, a composite type's attribute, a key's index or an extension was accepted, never compared)
-- verify: SELECT obj_description((SELECT oid FROM pg_policy WHERE polname = 'own_rows'), 'pg_policy') = 'tenants see their rows'
-- verify: SELECT col_description('address'::regtype::text::regclass, 1) = 'the street'
-- verify: SELECT obj_description('users_pkey'::regclass, 'pg_class') = 'the key''s index'
-- verify: SELECT obj_description((SELECT oid FROM pg_extension WHERE extname = 'pg_trgm'), 'pg_extension') = 'trigrams'
-- == current ==
CREATE EXTENSION pg_trgm;
CREATE TYPE address AS (street text, city text);
CREATE TABLE users (id integer PRIMARY KEY, home address);
CREATE POLICY own_rows ON users USING (id > 0);
-- == declared ==
CREATE EXTENSION pg_trgm;
CREATE TYPE address AS (street text, city text);
CREATE TABLE users (id integer PRIMARY KEY, home address);
CREATE POLICY own_rows ON users USING (id > 0);
COMMENT ON POLICY own_rows ON users IS 'tenants see their rows';
COMMENT ON COLUMN address.street IS 'the street';
COMMENT ON INDEX users_pkey IS 'the key''s index';
COMMENT ON EXTENSION pg_trgm IS 'trigrams';
