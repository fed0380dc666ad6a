-- source: issue 15 §3 (an IN list on varchar in a domain CHECK, a partial index, a policy; a matview with NULL in a UNION)
-- == current ==
CREATE TABLE t (id integer PRIMARY KEY, name varchar(20));
INSERT INTO t VALUES (1, 'a'), (2, 'c');
-- == declared ==
CREATE DOMAIN status AS varchar(10) CHECK (VALUE IN ('a', 'b')) DEFAULT 'a';
CREATE TABLE t (
    id integer PRIMARY KEY,
    s status,
    name varchar(20),
    k varchar(5) DEFAULT 'q'
);
CREATE INDEX t_name ON t (name) WHERE name IN ('a', 'b');
CREATE MATERIALIZED VIEW mv AS SELECT id, NULL AS x FROM t UNION ALL SELECT 1, 'z';
ALTER TABLE t ENABLE ROW LEVEL SECURITY;
CREATE POLICY p ON t USING (name IN ('a', 'b'));
-- == expected ==
-- What dbinit builds: each definition created from the server's printed text.
CREATE DOMAIN status AS character varying(10) DEFAULT 'a'::character varying
    CONSTRAINT status_check CHECK (((VALUE)::text = ANY (ARRAY[('a'::character varying)::text, ('b'::character varying)::text])));
CREATE TABLE t (
    id integer PRIMARY KEY,
    s status,
    name character varying(20),
    k character varying(5) DEFAULT 'q'::character varying
);
CREATE MATERIALIZED VIEW mv AS
 SELECT t.id,
    NULL::text AS x
   FROM t
UNION ALL
 SELECT 1 AS id,
    'z'::text AS x;
CREATE INDEX t_name ON t USING btree (name) WHERE ((name)::text = ANY (ARRAY[('a'::character varying)::text, ('b'::character varying)::text]));
CREATE POLICY p ON t USING (((name)::text = ANY (ARRAY[('a'::character varying)::text, ('b'::character varying)::text])));
ALTER TABLE t ENABLE ROW LEVEL SECURITY;
