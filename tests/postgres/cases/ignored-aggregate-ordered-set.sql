-- source: issue 15 §4 audit (an ordered-set or hypothetical-set aggregate was accepted, listed as not managed and never created)
-- verify: SELECT (SELECT aggkind::text FROM pg_aggregate WHERE aggfnoid = 'my_median'::regproc) = 'o'
-- verify: SELECT (SELECT aggkind::text FROM pg_aggregate WHERE aggfnoid = 'my_rank'::regproc) = 'h'
-- verify: SELECT (SELECT my_median(0.5) WITHIN GROUP (ORDER BY x) FROM (VALUES (1.0::float8), (3.0)) v(x)) = 3.0
-- == current ==
-- == declared ==
CREATE FUNCTION collect(float8[], float8) RETURNS float8[] LANGUAGE sql IMMUTABLE AS 'SELECT $1 || $2';
CREATE FUNCTION pick(float8[], float8, float8) RETURNS float8 LANGUAGE sql IMMUTABLE
    AS 'SELECT $1[array_upper($1, 1)]';
CREATE AGGREGATE my_median(float8 ORDER BY float8) (
    SFUNC = collect, STYPE = float8[], FINALFUNC = pick, FINALFUNC_EXTRA
);
CREATE AGGREGATE my_rank(VARIADIC "any" ORDER BY VARIADIC "any") (
    SFUNC = ordered_set_transition_multi, STYPE = internal, FINALFUNC = rank_final,
    FINALFUNC_EXTRA, HYPOTHETICAL
);
