-- source: issue 15 §3 (Pagila's group_concat: CREATE AGGREGATE in a pg_dump, used by a view)
-- verify: SELECT names = 'ann, bob' FROM actor_names
-- == current ==
CREATE TABLE actor (id integer PRIMARY KEY, name text);
INSERT INTO actor VALUES (1, 'ann'), (2, 'bob');
-- == declared ==
CREATE TABLE actor (id integer PRIMARY KEY, name text);
CREATE FUNCTION _group_concat(text, text) RETURNS text LANGUAGE sql IMMUTABLE AS $_$
SELECT CASE WHEN $2 IS NULL THEN $1 WHEN $1 IS NULL THEN $2 ELSE $1 || ', ' || $2 END
$_$;
CREATE AGGREGATE group_concat(text) (SFUNC = _group_concat, STYPE = text);
CREATE AGGREGATE biggest(integer) (SFUNC = int4larger, STYPE = integer, SORTOP = >,
    COMBINEFUNC = int4larger, PARALLEL = SAFE);
CREATE VIEW actor_names AS SELECT group_concat(name) AS names, biggest(id) AS top FROM actor;
