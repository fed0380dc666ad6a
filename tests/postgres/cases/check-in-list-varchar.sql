-- source: issue 15 §3 (MusicBrainz: a varchar IN (...) CHECK re-created from printed text)
-- == current ==
CREATE TABLE release (id integer PRIMARY KEY, status varchar(20));
INSERT INTO release VALUES (1, 'official');
-- == declared ==
CREATE TABLE release (id integer PRIMARY KEY, status varchar(20) CHECK (status IN ('official', 'promotion', 'bootleg')));
