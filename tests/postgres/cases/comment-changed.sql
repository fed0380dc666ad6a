-- source: pg-schema-diff acceptance "Change comments"
-- == current ==
CREATE TABLE users (id integer PRIMARY KEY, email text);
COMMENT ON TABLE users IS 'old';
-- == declared ==
CREATE TABLE users (id integer PRIMARY KEY, email text);
COMMENT ON TABLE users IS 'it''s new';
