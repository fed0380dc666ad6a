-- source: migra fixture "everything" (column types with modifiers, arrays)
-- == current ==
-- == declared ==
CREATE TABLE t (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    price numeric(10, 2) NOT NULL DEFAULT 0,
    tags text[] NOT NULL DEFAULT '{}',
    grid integer[][],
    meta jsonb,
    at timestamptz(3) DEFAULT now(),
    d interval day to second,
    addr inet,
    raw bytea,
    c char(3),
    bits bit varying(8),
    r int4range
);
