-- source: issue 15 §3 (a renamed PRIMARY KEY that a foreign key references)
-- == current ==
CREATE TABLE accounts (id integer, CONSTRAINT accounts_old_pk PRIMARY KEY (id));
CREATE TABLE payments (id integer PRIMARY KEY, account_id integer REFERENCES accounts (id));
INSERT INTO accounts VALUES (1), (2);
INSERT INTO payments VALUES (10, 1), (11, 2), (12, NULL);
-- == declared ==
CREATE TABLE accounts (id integer, CONSTRAINT accounts_pk PRIMARY KEY (id));
CREATE TABLE payments (id integer PRIMARY KEY, account_id integer REFERENCES accounts (id));
