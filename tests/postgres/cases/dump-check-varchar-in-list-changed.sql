-- source: issue 15 §3 (a database dbinit built from the printed text, then a value added to the IN list: drift, applied)
-- == current ==
CREATE TABLE edit (
    id integer PRIMARY KEY,
    status varchar(8) NOT NULL,
    CONSTRAINT edit_status_check CHECK (((status)::text = ANY (ARRAY[('open'::character varying)::text, ('failed'::character varying)::text])))
);
INSERT INTO edit VALUES (1, 'open'), (2, 'failed');
-- == declared ==
CREATE TABLE edit (
    id integer PRIMARY KEY,
    status varchar(8) NOT NULL CHECK (status IN ('open', 'applied', 'failed'))
);
-- == expected ==
CREATE TABLE edit (
    id integer PRIMARY KEY,
    status varchar(8) NOT NULL,
    CONSTRAINT edit_status_check CHECK (((status)::text = ANY ((ARRAY['open'::character varying, 'applied'::character varying, 'failed'::character varying])::text[])))
);
