-- source: issue 15 §3 (MusicBrainz: `pg_dump --schema-only` of the database the app's SQL built, used unchanged as the files; the dump's CHECK text prints differently once created again)
-- == current ==
CREATE TABLE edit (
    id integer PRIMARY KEY,
    status varchar(8) NOT NULL CHECK (status IN ('open', 'applied', 'failed'))
);
CREATE DOMAIN kind AS varchar(10) CHECK (VALUE IN ('person', 'group'));
CREATE TABLE artist (id integer PRIMARY KEY, k kind);
INSERT INTO edit VALUES (1, 'open'), (2, 'failed');
-- == declared ==
CREATE DOMAIN public.kind AS character varying(10)
	CONSTRAINT kind_check CHECK (((VALUE)::text = ANY ((ARRAY['person'::character varying, 'group'::character varying])::text[])));
CREATE TABLE public.artist (
    id integer NOT NULL,
    k public.kind
);
CREATE TABLE public.edit (
    id integer NOT NULL,
    status character varying(8) NOT NULL,
    CONSTRAINT edit_status_check CHECK (((status)::text = ANY ((ARRAY['open'::character varying, 'applied'::character varying, 'failed'::character varying])::text[])))
);
ALTER TABLE ONLY public.artist
    ADD CONSTRAINT artist_pkey PRIMARY KEY (id);
ALTER TABLE ONLY public.edit
    ADD CONSTRAINT edit_pkey PRIMARY KEY (id);
-- == expected ==
-- The database the app built is already what the files declare: nothing changes.
CREATE TABLE edit (
    id integer PRIMARY KEY,
    status varchar(8) NOT NULL CHECK (status IN ('open', 'applied', 'failed'))
);
CREATE DOMAIN kind AS varchar(10) CHECK (VALUE IN ('person', 'group'));
CREATE TABLE artist (id integer PRIMARY KEY, k kind);
