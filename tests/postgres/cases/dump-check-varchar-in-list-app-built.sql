-- source: issue 15 §3 (MusicBrainz: the database the app's own SQL built is in sync, CHECK untouched)
-- == current ==
CREATE TABLE edit (
    id integer PRIMARY KEY,
    status varchar(8) NOT NULL CHECK (status IN ('open', 'applied', 'failed'))
);
INSERT INTO edit VALUES (1, 'open'), (2, 'failed');
-- == declared ==
CREATE TABLE edit (
    id integer PRIMARY KEY,
    status varchar(8) NOT NULL CHECK (status IN ('open', 'applied', 'failed'))
);
