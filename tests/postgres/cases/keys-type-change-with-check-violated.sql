-- source: issue 15 §3 (a CHECK on the new type the converted rows break: refused, nothing changed)
-- command: repair
-- args: --yes
-- expect: refused 3
-- message: prices_amount_check
-- == current ==
CREATE TABLE prices (id integer PRIMARY KEY, amount varchar(20));
INSERT INTO prices VALUES (1, '3'), (2, '-4');
-- == declared ==
CREATE TABLE prices (id integer PRIMARY KEY, amount integer CONSTRAINT prices_amount_check CHECK (amount > 0));
