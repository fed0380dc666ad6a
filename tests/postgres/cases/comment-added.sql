-- source: pg-schema-diff acceptance "Add comments"
-- == current ==
CREATE TABLE users (id integer PRIMARY KEY, email text);
-- == declared ==
CREATE TABLE users (id integer PRIMARY KEY, email text);
COMMENT ON TABLE users IS 'people who sign in';
COMMENT ON COLUMN users.email IS 'their address';
