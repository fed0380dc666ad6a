-- source: issue 15 §3 (MusicBrainz: a varchar IN (…) CHECK, printed as = ANY ((ARRAY[…])::text[]))
-- == current ==
CREATE TABLE editor (id integer PRIMARY KEY, name varchar(64) NOT NULL);
INSERT INTO editor VALUES (1, 'ann'), (2, 'bob');
-- == declared ==
CREATE TABLE editor (
    id integer PRIMARY KEY,
    name varchar(64) NOT NULL,
    privs varchar(10) DEFAULT 'user' CHECK (privs IN ('user', 'admin', 'bot'))
);
CREATE TABLE edit (
    id integer PRIMARY KEY,
    status varchar(8) NOT NULL CHECK (status IN ('open', 'applied', 'failed'))
);
-- == expected ==
-- What dbinit builds: the CHECKs created from the server's printed text.
CREATE TABLE editor (
    id integer PRIMARY KEY,
    name varchar(64) NOT NULL,
    privs varchar(10) DEFAULT 'user',
    CONSTRAINT editor_privs_check CHECK (((privs)::text = ANY ((ARRAY['user'::character varying, 'admin'::character varying, 'bot'::character varying])::text[])))
);
CREATE TABLE edit (
    id integer PRIMARY KEY,
    status varchar(8) NOT NULL,
    CONSTRAINT edit_status_check CHECK (((status)::text = ANY ((ARRAY['open'::character varying, 'applied'::character varying, 'failed'::character varying])::text[])))
);
