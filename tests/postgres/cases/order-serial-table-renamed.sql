-- source: issue 15 §3 (a serial sequence's name after a table rename follows what the declared SQL builds)
-- command: repair
-- verify: SELECT nextval('posts_id_seq') = 3
-- == current ==
CREATE TABLE post (id serial PRIMARY KEY, title text);
INSERT INTO post (title) VALUES ('a'), ('b');
-- == declared ==
-- dbinit: renamed-from=post
CREATE TABLE posts (id serial PRIMARY KEY, title text);
