-- source: issue 15 §4 audit (CREATE UNLOGGED SEQUENCE and ALTER SEQUENCE … SET UNLOGGED were accepted, the sequence created or left logged)
-- verify: SELECT relpersistence = 'u' FROM pg_class WHERE relname = 'tickets'
-- verify: SELECT relpersistence = 'u' FROM pg_class WHERE relname = 'orders_id_seq'
-- verify: SELECT relpersistence = 'p' FROM pg_class WHERE relname = 'counter'
-- verify: SELECT relpersistence = 'u' FROM pg_class WHERE relname = 'fresh'
-- == current ==
CREATE SEQUENCE tickets;
CREATE UNLOGGED SEQUENCE counter;
CREATE TABLE orders (id serial PRIMARY KEY);
-- == declared ==
CREATE UNLOGGED SEQUENCE tickets;
CREATE SEQUENCE counter;
CREATE TABLE orders (id serial PRIMARY KEY);
ALTER SEQUENCE orders_id_seq SET UNLOGGED;
CREATE UNLOGGED SEQUENCE fresh;
