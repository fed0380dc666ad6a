-- source: issue 15 §4 (a FOREIGN KEY on a column the same plan adds, whose default has no parent row)
-- expect: refused 3
-- message: owner
-- == current ==
CREATE TABLE users (id integer PRIMARY KEY);
CREATE TABLE items (id integer PRIMARY KEY);
INSERT INTO users VALUES (1);
INSERT INTO items VALUES (1), (2);
-- == declared ==
CREATE TABLE users (id integer PRIMARY KEY);
CREATE TABLE items (id integer PRIMARY KEY,
  owner integer NOT NULL DEFAULT 7 CONSTRAINT items_owner_fk REFERENCES users (id));
