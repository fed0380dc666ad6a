-- source: issue 15 §3 (kind of change migra/pg-schema-diff test: a function's OUT parameters change: its result type changes)
-- == current ==
CREATE FUNCTION stats(OUT n integer, OUT total integer) LANGUAGE sql AS $$ SELECT 1, 2 $$;
CREATE VIEW stats_view AS SELECT n FROM stats();
-- == declared ==
CREATE FUNCTION stats(OUT n integer, OUT total bigint) LANGUAGE sql AS $$ SELECT 1, 2::bigint $$;
CREATE VIEW stats_view AS SELECT n FROM stats();
