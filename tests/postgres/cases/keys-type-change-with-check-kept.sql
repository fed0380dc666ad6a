-- source: issue 15 §3 (checks compared across a type change: the CHECK is re-created after the type change)
-- command: repair
-- args: --yes
-- == current ==
CREATE TABLE prices (id integer PRIMARY KEY, amount varchar(20) CONSTRAINT prices_amount_check CHECK (amount <> ''));
INSERT INTO prices VALUES (1, '3'), (2, '4');
-- == declared ==
CREATE TABLE prices (id integer PRIMARY KEY, amount integer CONSTRAINT prices_amount_check CHECK (amount > 0));
