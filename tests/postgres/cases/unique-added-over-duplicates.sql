-- source: issue 15 §3 (no precheck for a new UNIQUE over duplicates)
-- expect: refused 3
-- message: email
-- == current ==
CREATE TABLE users (id integer PRIMARY KEY, email text NOT NULL);
INSERT INTO users VALUES (1, 'a@x.io'), (2, 'a@x.io');
-- == declared ==
CREATE TABLE users (id integer PRIMARY KEY, email text NOT NULL UNIQUE);
