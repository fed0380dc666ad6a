-- source: migra fixture "everything" (a table the database lacks)
-- == current ==
-- == declared ==
CREATE TABLE users (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, email text NOT NULL UNIQUE);
