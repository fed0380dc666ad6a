-- source: issue 15 §3 (table and column renamed, a CHECK added on the renamed column)
-- command: repair
-- args: --yes
-- rows: members=2
-- == current ==
CREATE TABLE users (id integer PRIMARY KEY, age integer);
INSERT INTO users VALUES (1, 30), (2, 40);
-- == declared ==
-- dbinit: renamed-from=users
CREATE TABLE members (
  id integer PRIMARY KEY,
  years integer CHECK (years >= 0) -- dbinit: renamed-from=age
);
