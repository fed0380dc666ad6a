-- source: issue 15 §3 (rename plus a CHECK the rows break: refused before anything runs, under the old name)
-- command: repair
-- args: --yes
-- expect: refused 3
-- message: scores_points_check
-- == current ==
CREATE TABLE scores (id integer PRIMARY KEY, score integer CONSTRAINT scores_score_check CHECK (score > 0));
INSERT INTO scores VALUES (1, 5), (2, 700);
-- == declared ==
CREATE TABLE scores (
  id integer PRIMARY KEY,
  points integer CONSTRAINT scores_points_check CHECK (points > 0 AND points < 100) -- dbinit: renamed-from=score
);
