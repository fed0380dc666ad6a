-- source: issue 15 §3 (renames combined with a type change); pg-schema-diff "Modify data type (varchar -> TEXT)"
-- command: repair
-- args: --yes
-- verify: SELECT string_agg(points::text, ',' ORDER BY id) = '5,7' FROM scores
-- == current ==
CREATE TABLE scores (id integer PRIMARY KEY, score integer NOT NULL);
INSERT INTO scores VALUES (1, 5), (2, 7);
-- == declared ==
CREATE TABLE scores (
  id integer PRIMARY KEY,
  points bigint NOT NULL -- dbinit: renamed-from=score
);
