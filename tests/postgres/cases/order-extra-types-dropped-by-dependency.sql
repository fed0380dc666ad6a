-- source: issue 15 §3/§5 (drops ordered by the dependencies PostgreSQL records, not by name: an extra composite type over an extra domain over an extra enum, names sorting the wrong way round)
-- command: repair
-- args: --prune --allow-data-loss
-- == current ==
CREATE TYPE a_mood AS ENUM ('sad', 'ok');
CREATE DOMAIN b_mood AS a_mood NOT NULL;
CREATE TYPE c_pair AS (m b_mood, n integer);
CREATE DOMAIN d_pair AS c_pair;
CREATE TABLE items (id integer PRIMARY KEY);
INSERT INTO items VALUES (1), (2);
-- == declared ==
CREATE TABLE items (id integer PRIMARY KEY);
