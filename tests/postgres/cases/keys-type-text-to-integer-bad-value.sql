-- source: issue 15 §3 (text → integer where a value does not convert: 3 naming the value, nothing changed)
-- command: repair
-- args: --yes
-- expect: refused 3
-- message: qty
-- == current ==
CREATE TABLE items (id integer PRIMARY KEY, qty text);
INSERT INTO items VALUES (1, '5'), (2, 'seven');
-- == declared ==
CREATE TABLE items (id integer PRIMARY KEY, qty integer);
