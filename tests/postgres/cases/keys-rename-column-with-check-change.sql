-- source: issue 15 §3 (a column rename plus a CHECK change on it in one run: prechecks used the new name before the rename ran)
-- command: repair
-- args: --yes
-- verify: SELECT string_agg(points::text, ',' ORDER BY id) = '5,7' FROM scores
-- == current ==
CREATE TABLE scores (id integer PRIMARY KEY, score integer CONSTRAINT scores_score_check CHECK (score > 0));
INSERT INTO scores VALUES (1, 5), (2, 7);
-- == declared ==
CREATE TABLE scores (
  id integer PRIMARY KEY,
  points integer CONSTRAINT scores_points_check CHECK (points > 0 AND points < 100) -- dbinit: renamed-from=score
);
