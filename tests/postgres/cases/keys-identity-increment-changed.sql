-- source: issue 15 §3 (identity options changed in the files were not seen by check)
-- verify: SELECT seqincrement = 10 FROM pg_sequence WHERE seqrelid = 'items_id_seq'::regclass
-- == current ==
CREATE TABLE items (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, name text);
INSERT INTO items (name) VALUES ('a'), ('b');
-- == declared ==
CREATE TABLE items (id bigint GENERATED ALWAYS AS IDENTITY (INCREMENT BY 10) PRIMARY KEY, name text);
