-- source: issue 15 §3 (a live PRIMARY KEY named otherwise than the declared one, same columns)
-- == current ==
CREATE TABLE accounts (id integer, name text, CONSTRAINT accounts_old_pk PRIMARY KEY (id));
INSERT INTO accounts VALUES (1, 'a'), (2, 'b');
-- == declared ==
CREATE TABLE accounts (id integer, name text, CONSTRAINT accounts_pk PRIMARY KEY (id));
