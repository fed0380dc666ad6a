-- source: issue 15 §3/§4 (a new enum value used as a column default in the same run); pg-schema-diff acceptance "Add enum value and use it"
-- == current ==
CREATE TYPE status AS ENUM ('new', 'done');
CREATE TABLE tasks (id integer PRIMARY KEY, status status NOT NULL DEFAULT 'new');
INSERT INTO tasks VALUES (1, 'done');
-- == declared ==
CREATE TYPE status AS ENUM ('new', 'open', 'done');
CREATE TABLE tasks (id integer PRIMARY KEY, status status NOT NULL DEFAULT 'open');
