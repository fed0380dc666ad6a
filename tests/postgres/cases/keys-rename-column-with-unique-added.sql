-- source: issue 15 §3 (a rename plus a new UNIQUE on the renamed column)
-- command: repair
-- args: --yes
-- == current ==
CREATE TABLE users (id integer PRIMARY KEY, mail text NOT NULL);
INSERT INTO users VALUES (1, 'a@x.io'), (2, 'b@x.io');
-- == declared ==
CREATE TABLE users (
  id integer PRIMARY KEY,
  email text NOT NULL UNIQUE -- dbinit: renamed-from=mail
);
