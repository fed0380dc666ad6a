-- source: issue 15 §3/§4 ("cannot change return type of existing function": drop and recreate it with its dependents)
-- == current ==
CREATE FUNCTION score(x integer) RETURNS integer LANGUAGE sql IMMUTABLE AS $$ SELECT x * 2 $$;
CREATE TABLE games (id integer PRIMARY KEY, points integer NOT NULL);
INSERT INTO games VALUES (1, 10), (2, 20);
CREATE VIEW game_scores AS SELECT id, score(points) AS s FROM games;
CREATE VIEW top_scores AS SELECT id FROM game_scores WHERE s > 10;
-- == declared ==
CREATE FUNCTION score(x integer) RETURNS bigint LANGUAGE sql IMMUTABLE AS $$ SELECT x::bigint * 2 $$;
CREATE TABLE games (id integer PRIMARY KEY, points integer NOT NULL);
CREATE VIEW game_scores AS SELECT id, score(points) AS s FROM games;
CREATE VIEW top_scores AS SELECT id FROM game_scores WHERE s > 10;
