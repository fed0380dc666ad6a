"""Read one PostgreSQL schema into the model, in a fixed number of catalog queries.

`introspect(conn, schema)` sends `QUERY_COUNT` statements whatever the number of
objects (one per object kind, never one per table), inside one transaction (a
savepoint when the caller has one open) with `search_path` set locally to the
managed schema, so the server prints names of that schema unqualified and
every other name qualified, the same way for the live database and the scratch.

Left out of the model: `_dbinit_history` and every `_dbinit_*` object (dbinit's
own; an index of that name is returned in `Schema.leftovers` for the planner to
drop), objects that belong to an extension, internal objects (the triggers of a
foreign key, a range type's constructors). Objects of kinds dbinit does not
manage are listed in `Schema.unmanaged`.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import replace
from typing import Any

import psycopg

from dbinit.postgres.model import (
    HISTORY_TABLE,
    Collation,
    Column,
    Comment,
    CompositeType,
    Constraint,
    Domain,
    DomainCheck,
    EnumType,
    Extension,
    Function,
    Index,
    MaterializedView,
    Partition,
    Policy,
    RangeType,
    Ref,
    Schema,
    Sequence,
    SequenceBehind,
    SequenceOptions,
    Table,
    TextSearchConfiguration,
    TextSearchDictionary,
    Trigger,
    TypeAttribute,
    Unmanaged,
    View,
    is_internal,
)

# A catalog row that belongs to an extension (deptype e) or is part of another
# object (deptype i), for the catalog `cls` and the object id `objid`. (A
# partitioned table depends internally on its own key columns: not "part of
# another object".)
_OWNED = (
    "EXISTS (SELECT 1 FROM pg_depend dep WHERE dep.classid = '{cls}'::regclass "
    "AND dep.objid = {objid} AND dep.deptype IN ('e', 'i') "
    "AND NOT (dep.refclassid = dep.classid AND dep.refobjid = dep.objid))"
)

_SETUP = """
SELECT set_config('search_path', quote_ident(%(schema)s), true),
       (SELECT oid FROM pg_namespace WHERE nspname = %(schema)s)
"""

# Reading a serial's state plans a query on its table, which expands the table's
# index expressions; an extension's SQL function there (earthdistance's
# ll_to_earth, whose body names the `earth` type unqualified) needs the
# extension's schema, `public`, on the path, as the app had it. Everything else
# is read with the managed schema alone on the path, so that names print
# qualified exactly when they are outside it.
_PATH_WITH_PUBLIC = "SELECT set_config('search_path', quote_ident(%(schema)s) || ', public', true)"
_PATH_MANAGED_ONLY = "SELECT set_config('search_path', quote_ident(%(schema)s), true)"

# The TOAST tables with options and the clustered indexes are few: read once
# (MATERIALIZED), not looked up for every relation.
_RELATIONS = f"""
WITH toast AS MATERIALIZED (
  SELECT oid, reloptions FROM pg_class WHERE relkind = 't' AND reloptions IS NOT NULL),
clustered AS MATERIALIZED (
  SELECT x.indrelid, ic.relname FROM pg_index x JOIN pg_class ic ON ic.oid = x.indexrelid
   WHERE x.indisclustered)
SELECT c.oid, c.relname, c.relkind::text, c.relispartition, c.relrowsecurity,
       c.relacl IS NOT NULL,
       -- its storage options, and its TOAST table's (read as `toast.name=value`)
       coalesce(c.reloptions, '{{}}')::text[] || coalesce(toast.reloptions, '{{}}')::text[],
       CASE WHEN c.relkind IN ('v', 'm') THEN pg_get_viewdef(c.oid, true) END,
       c.relispopulated, c.relforcerowsecurity, c.relpersistence = 'u',
       CASE WHEN c.relkind = 'p' THEN pg_get_partkeydef(c.oid) END,
       CASE WHEN c.relispartition THEN pg_get_expr(c.relpartbound, c.oid) END,
       CASE WHEN c.relispartition THEN
         (SELECT i.inhparent FROM pg_inherits i WHERE i.inhrelid = c.oid) END,
       c.relreplident::text,
       (SELECT quote_ident(ic.relname) FROM pg_index x JOIN pg_class ic ON ic.oid = x.indexrelid
         WHERE x.indrelid = c.oid AND x.indisreplident),
       CASE WHEN NOT c.relispartition THEN
         (SELECT array_agg(CASE WHEN p.relnamespace = %(ns)s::oid THEN p.relname::text
                                ELSE p.oid::regclass::text END ORDER BY i.inhseqno)
            FROM pg_inherits i JOIN pg_class p ON p.oid = i.inhparent
           WHERE i.inhrelid = c.oid) END,
       CASE WHEN c.reloftype <> 0 THEN c.reloftype::regtype::text END,
       clustered.relname, cardinality(toast.reloptions)
FROM pg_class c
LEFT JOIN toast ON toast.oid = c.reltoastrelid
LEFT JOIN clustered ON clustered.indrelid = c.oid
WHERE c.relnamespace = %(ns)s::oid AND c.relkind IN ('r', 'p', 'v', 'm', 'f', 'c', 'S')
  AND NOT {_OWNED.format(cls="pg_class", objid="c.oid")}
"""

# A column's definition (of a table; a view's or a materialized view's for its
# DEFAULT or its settings), then what ALTER COLUMN … SET declares beside it: the
# statistics target (NULL for the default: -1 before PostgreSQL 17, NULL after),
# the attribute options where they hold one ALTER COLUMN … SET (…) documents
# (`_ATTOPTIONS`), the storage and the type's when they differ, the compression method
# (PostgreSQL 14 and newer: `_COLUMNS_13` reads none).
_COLUMNS = """
SELECT a.attrelid, a.attname, a.attnum, format_type(a.atttypid, a.atttypmod), a.attnotnull,
       pg_get_expr(ad.adbin, ad.adrelid), a.attidentity::text, a.attgenerated::text,
       CASE WHEN a.attcollation <> t.typcollation THEN a.attcollation::regcollation::text END,
       nullif(coalesce(a.attstattarget, -1), -1),
       CASE WHEN a.attoptions::text LIKE '%%n_distinct%%' THEN a.attoptions END,
       CASE WHEN a.attstorage <> t.typstorage THEN a.attstorage::text || t.typstorage::text END,
       nullif(a.attcompression::text, '')
FROM pg_attribute a
JOIN pg_class c ON c.oid = a.attrelid
JOIN pg_type t ON t.oid = a.atttypid
LEFT JOIN pg_attrdef ad ON ad.adrelid = a.attrelid AND ad.adnum = a.attnum
WHERE c.relnamespace = %(ns)s::oid AND c.relkind IN ('r', 'p', 'v', 'm') AND a.attnum > 0
  AND NOT a.attisdropped
ORDER BY a.attrelid, a.attnum
"""
_COLUMNS_13 = _COLUMNS.replace("nullif(a.attcompression::text, '')", "NULL::text")

_CONSTRAINTS = """
SELECT con.oid, con.conname, con.conrelid, con.contypid, con.contype::text,
       pg_get_constraintdef(con.oid), con.condeferrable, con.condeferred, con.convalidated,
       (SELECT relname FROM pg_class WHERE oid = con.conindid),
       (SELECT array_agg(a.attname::text ORDER BY k.ord)
          FROM unnest(con.conkey) WITH ORDINALITY k(num, ord)
          JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.num),
       CASE WHEN con.confrelid <> 0 THEN
         (SELECT CASE WHEN relnamespace = %(ns)s::oid THEN relname::text
                      ELSE confrelid::regclass::text END
            FROM pg_class WHERE oid = con.confrelid) END,
       (SELECT array_agg(a.attname::text ORDER BY k.ord)
          FROM unnest(con.confkey) WITH ORDINALITY k(num, ord)
          JOIN pg_attribute a ON a.attrelid = con.confrelid AND a.attnum = k.num),
       con.confupdtype::text, con.confdeltype::text, con.confmatchtype::text,
       CASE WHEN con.contype IN ('p', 'u') AND con.conindid <> 0 THEN
         (SELECT quote_ident(relname) FROM pg_class WHERE oid = con.conindid) END,
       CASE WHEN con.contype IN ('p', 'u') AND con.conindid <> 0 THEN
         pg_get_indexdef(con.conindid) END
FROM pg_constraint con
WHERE con.connamespace = %(ns)s::oid AND con.contype IN ('p', 'u', 'c', 'f', 'x')
  AND con.conparentid = 0
ORDER BY con.conname
"""

_INDEXES = """
SELECT i.indexrelid, ic.relname, i.indrelid, i.indisunique, i.indisvalid,
       pg_get_indexdef(i.indexrelid), am.amname, pg_get_expr(i.indpred, i.indrelid),
       quote_ident(ic.relname),
       EXISTS (SELECT 1 FROM pg_constraint con WHERE con.conindid = i.indexrelid
               AND con.conrelid = i.indrelid AND con.contype IN ('p', 'u', 'x')),
       ARRAY(SELECT pg_get_indexdef(i.indexrelid, k, true)
             FROM generate_series(1, i.indnkeyatts) k ORDER BY k),
       i.indnullsnotdistinct,
       -- the statistics targets of its expression columns (only those take one) that
       -- are not the default
       CASE WHEN i.indexprs IS NOT NULL THEN
         (SELECT array_agg(ARRAY[a.attnum::int, a.attstattarget::int] ORDER BY a.attnum)
            FROM pg_attribute a WHERE a.attrelid = i.indexrelid
             AND coalesce(a.attstattarget, -1) <> -1) END
FROM pg_index i
JOIN pg_class ic ON ic.oid = i.indexrelid
JOIN pg_am am ON am.oid = ic.relam
WHERE ic.relnamespace = %(ns)s::oid
ORDER BY ic.relname
"""

# The state of an identity or serial sequence beside its integer column: its
# last value, whether it was called, and the column's max (min when it counts
# down). Each is one small query run by the server through query_to_xml, so the
# statement count stays fixed; on a key column the max is an index lookup.
_SEQUENCES = """
SELECT s.seqrelid, format_type(s.seqtypid, NULL), s.seqstart, s.seqincrement, s.seqmin,
       s.seqmax, s.seqcache, s.seqcycle, d.deptype::text, d.refobjid, a.attname,
       (xpath('/row/l/text()', st.x))[1]::text, (xpath('/row/c/text()', st.x))[1]::text,
       (xpath('/row/m/text()', st.x))[1]::text, c.relname, c.relpersistence = 'u'
FROM pg_sequence s
JOIN pg_class c ON c.oid = s.seqrelid
LEFT JOIN pg_depend d ON d.classid = 'pg_class'::regclass AND d.objid = s.seqrelid
     AND d.refclassid = 'pg_class'::regclass AND d.refobjsubid > 0 AND d.deptype IN ('a', 'i')
LEFT JOIN pg_attribute a ON a.attrelid = d.refobjid AND a.attnum = d.refobjsubid
LEFT JOIN LATERAL (
  SELECT query_to_xml(format(
           'SELECT s.last_value AS l, s.is_called AS c, (SELECT %%s(%%I) FROM %%s) AS m FROM %%s s',
           CASE WHEN s.seqincrement > 0 THEN 'max' ELSE 'min' END, a.attname,
           d.refobjid::regclass, s.seqrelid::regclass), false, true, '') AS x
  WHERE a.atttypid IN ('int2'::regtype, 'int4'::regtype, 'int8'::regtype)
    AND has_sequence_privilege(s.seqrelid, 'SELECT')
    AND has_column_privilege(d.refobjid, a.attnum, 'SELECT')
) st ON true
WHERE c.relnamespace = %(ns)s::oid
"""

_TYPES = f"""
SELECT t.oid, t.typname, t.typtype::text,
       CASE WHEN t.typtype = 'e' THEN
         (SELECT array_agg(enumlabel::text ORDER BY enumsortorder)
            FROM pg_enum WHERE enumtypid = t.oid) END,
       CASE WHEN t.typtype = 'd' THEN format_type(t.typbasetype, t.typtypmod) END,
       t.typnotnull, pg_get_expr(t.typdefaultbin, 0),
       CASE WHEN t.typtype = 'd' AND t.typcollation <> bt.typcollation
            THEN t.typcollation::regcollation::text END,
       t.typrelid,
       CASE WHEN t.typtype = 'c' THEN
         (SELECT array_agg(ARRAY[a.attname::text, format_type(a.atttypid, a.atttypmod),
                                 CASE WHEN a.attcollation <> at.typcollation
                                      THEN a.attcollation::regcollation::text END]
                           ORDER BY a.attnum)
            FROM pg_attribute a JOIN pg_type at ON at.oid = a.atttypid
           WHERE a.attrelid = t.typrelid AND a.attnum > 0 AND NOT a.attisdropped) END,
       -- a range type: its CREATE TYPE … AS RANGE options, and its multirange type
       -- (PostgreSQL 14 and newer, read through to_jsonb), which stands for it
       CASE WHEN t.typtype = 'r' THEN
         (SELECT ARRAY[concat_ws(', ',
                   'subtype = ' || format_type(r.rngsubtype, NULL),
                   CASE WHEN NOT opc.opcdefault THEN 'subtype_opclass = ' ||
                     CASE WHEN opc.opcnamespace = %(ns)s::oid THEN quote_ident(opc.opcname)
                          ELSE quote_ident(opn.nspname) || '.' || quote_ident(opc.opcname) END
                   END,
                   CASE WHEN r.rngcollation <> 0 AND r.rngcollation <> st.typcollation
                        THEN 'collation = ' || r.rngcollation::regcollation::text END,
                   CASE WHEN r.rngcanonical::oid <> 0
                        THEN 'canonical = ' || r.rngcanonical::regproc::text END,
                   CASE WHEN r.rngsubdiff::oid <> 0
                        THEN 'subtype_diff = ' || r.rngsubdiff::regproc::text END,
                   'multirange_type_name = '
                     || ((to_jsonb(r)->>'rngmultitypid')::oid)::regtype::text),
                 to_jsonb(r)->>'rngmultitypid']
            FROM pg_range r JOIN pg_type st ON st.oid = r.rngsubtype
            JOIN pg_opclass opc ON opc.oid = r.rngsubopc
            JOIN pg_namespace opn ON opn.oid = opc.opcnamespace
           WHERE r.rngtypid = t.oid) END
FROM pg_type t
LEFT JOIN pg_type bt ON bt.oid = t.typbasetype
WHERE t.typnamespace = %(ns)s::oid
  -- not an array type (a hashed anti-join: pg_type has no index on typarray, and a
  -- correlated NOT EXISTS read it once per type, quadratic in the tables)
  AND t.oid NOT IN (SELECT e.typarray FROM pg_type e WHERE e.typnamespace = %(ns)s::oid)
  AND (t.typrelid = 0 OR (SELECT relkind FROM pg_class WHERE oid = t.typrelid) = 'c')
  AND NOT {_OWNED.format(cls="pg_type", objid="t.oid")}
"""

# An aggregate as a CREATE OR REPLACE AGGREGATE statement, from pg_aggregate
# (PostgreSQL prints no definition of an aggregate); an ordered-set one's
# arguments print with their ORDER BY, a hypothetical-set one says HYPOTHETICAL.
_AGGREGATE = """
SELECT 'CREATE OR REPLACE AGGREGATE ' || quote_ident(p.proname) || '('
       || pg_get_function_arguments(p.oid) || ') (' || concat_ws(', ',
         'SFUNC = ' || a.aggtransfn::regproc::text,
         'STYPE = ' || format_type(a.aggtranstype, NULL),
         CASE WHEN a.aggtransspace <> 0 THEN 'SSPACE = ' || a.aggtransspace END,
         CASE WHEN a.aggfinalfn <> 0 THEN 'FINALFUNC = ' || a.aggfinalfn::regproc::text END,
         CASE WHEN a.aggfinalextra THEN 'FINALFUNC_EXTRA' END,
         CASE a.aggfinalmodify WHEN 's' THEN 'FINALFUNC_MODIFY = SHAREABLE'
                               WHEN 'w' THEN 'FINALFUNC_MODIFY = READ_WRITE' END,
         CASE WHEN a.aggcombinefn <> 0 THEN 'COMBINEFUNC = ' || a.aggcombinefn::regproc::text END,
         CASE WHEN a.aggserialfn <> 0 THEN 'SERIALFUNC = ' || a.aggserialfn::regproc::text END,
         CASE WHEN a.aggdeserialfn <> 0
              THEN 'DESERIALFUNC = ' || a.aggdeserialfn::regproc::text END,
         'INITCOND = ' || quote_literal(a.agginitval),
         CASE WHEN a.aggmtransfn <> 0 THEN 'MSFUNC = ' || a.aggmtransfn::regproc::text END,
         CASE WHEN a.aggminvtransfn <> 0 THEN 'MINVFUNC = ' || a.aggminvtransfn::regproc::text END,
         CASE WHEN a.aggmtranstype <> 0 THEN 'MSTYPE = ' || format_type(a.aggmtranstype, NULL) END,
         CASE WHEN a.aggmtransspace <> 0 THEN 'MSSPACE = ' || a.aggmtransspace END,
         CASE WHEN a.aggmfinalfn <> 0 THEN 'MFINALFUNC = ' || a.aggmfinalfn::regproc::text END,
         CASE WHEN a.aggmfinalextra THEN 'MFINALFUNC_EXTRA' END,
         CASE a.aggmfinalmodify WHEN 's' THEN 'MFINALFUNC_MODIFY = SHAREABLE'
                                WHEN 'w' THEN 'MFINALFUNC_MODIFY = READ_WRITE' END,
         'MINITCOND = ' || quote_literal(a.aggminitval),
         CASE WHEN a.aggsortop <> 0
              THEN 'SORTOP = OPERATOR(' || a.aggsortop::regoper::text || ')' END,
         CASE p.proparallel WHEN 's' THEN 'PARALLEL = SAFE'
                            WHEN 'r' THEN 'PARALLEL = RESTRICTED' END,
         CASE WHEN a.aggkind = 'h' THEN 'HYPOTHETICAL' END
       ) || ')'
FROM pg_aggregate a WHERE a.aggfnoid = p.oid
"""

_FUNCTIONS = f"""
SELECT p.oid, p.proname, p.prokind::text, pg_get_function_identity_arguments(p.oid),
       CASE WHEN p.prokind IN ('f', 'p') THEN pg_get_functiondef(p.oid)
            WHEN p.prokind = 'a' THEN ({_AGGREGATE}) END,
       coalesce(pg_get_function_result(p.oid), ''), p.oid::regprocedure::text
FROM pg_proc p
WHERE p.pronamespace = %(ns)s::oid AND NOT {_OWNED.format(cls="pg_proc", objid="p.oid")}
ORDER BY p.proname
"""

_TRIGGERS = """
SELECT tg.oid, tg.tgname, tg.tgrelid, pg_get_triggerdef(tg.oid, true), tg.tgenabled::text
FROM pg_trigger tg
JOIN pg_class c ON c.oid = tg.tgrelid
WHERE c.relnamespace = %(ns)s::oid AND NOT tg.tgisinternal
"""

_EXTENSIONS = """
SELECT e.oid, e.extname, e.extversion, n.nspname, e.extnamespace = %(ns)s::oid
FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace
WHERE e.extname <> 'plpgsql'
"""

# User objects only (oid >= FirstNormalObjectId): the built-ins have thousands
# of comments, and pg_identify_object is not free. Every catalog COMMENT ON may
# name in a schema file (sqlsplit's _OBJECT_KINDS); the reader keeps the comments
# of the objects it modelled. An extension's comment only where it is not the
# one CREATE EXTENSION gives (its control file's): the files' COMMENT ON
# EXTENSION is then a declaration like any other.
_COMMENTS = """
SELECT d.classoid::regclass::text, d.objoid, d.objsubid, o.type, o.identity, d.description
FROM pg_description d, pg_identify_object(d.classoid, d.objoid, d.objsubid) o
WHERE d.objoid >= 16384 AND d.classoid IN ('pg_class'::regclass, 'pg_type'::regclass,
      'pg_proc'::regclass, 'pg_constraint'::regclass, 'pg_trigger'::regclass,
      'pg_policy'::regclass, 'pg_collation'::regclass, 'pg_ts_dict'::regclass,
      'pg_ts_config'::regclass)
UNION ALL
SELECT 'pg_extension', e.oid, 0, 'extension', quote_ident(e.extname), d.description
FROM pg_extension e
JOIN pg_description d ON d.classoid = 'pg_extension'::regclass AND d.objoid = e.oid
LEFT JOIN pg_available_extensions() a ON a.name = e.extname
WHERE e.extname <> 'plpgsql' AND d.description IS DISTINCT FROM a.comment
"""

_OTHER = f"""
SELECT 'rule', r.rulename::text, c.relname::text
  FROM pg_rewrite r JOIN pg_class c ON c.oid = r.ev_class
  WHERE c.relnamespace = %(ns)s::oid AND r.rulename <> '_RETURN'
    AND NOT {_OWNED.format(cls="pg_class", objid="c.oid")}
    AND NOT {_OWNED.format(cls="pg_rewrite", objid="r.oid")}
UNION ALL
SELECT 'publication', pubname::text, '' FROM pg_publication p
  WHERE NOT {_OWNED.format(cls="pg_publication", objid="p.oid")}
UNION ALL
SELECT 'event_trigger', evtname::text, '' FROM pg_event_trigger et
  WHERE NOT {_OWNED.format(cls="pg_event_trigger", objid="et.oid")}
UNION ALL
SELECT 'statistics', stxname::text, '' FROM pg_statistic_ext s
  WHERE stxnamespace = %(ns)s::oid AND NOT {_OWNED.format(cls="pg_statistic_ext", objid="s.oid")}
UNION ALL
SELECT 'operator', oprname::text, '' FROM pg_operator o
  WHERE oprnamespace = %(ns)s::oid AND NOT {_OWNED.format(cls="pg_operator", objid="o.oid")}
"""

# Collations, text-search dictionaries and configurations, one row each: kind,
# oid, name, then the definition's parts (read through to_jsonb where the
# column names differ between server versions). Collation options are built as
# CREATE COLLATION takes them; a configuration's mappings as "token" → dictionaries.
_COLLATIONS_AND_TEXT_SEARCH = f"""
SELECT 'collation', co.oid, co.collname::text, concat_ws(', ',
         'provider = ' || CASE co.collprovider WHEN 'i' THEN 'icu' WHEN 'c' THEN 'libc'
                                               ELSE 'default' END,
         CASE WHEN co.collprovider = 'i' THEN 'locale = ' || quote_literal(coalesce(
              to_jsonb(co)->>'colliculocale', to_jsonb(co)->>'colllocale', co.collcollate)) END,
         CASE WHEN co.collprovider = 'i' AND coalesce(to_jsonb(co)->>'collicurules', '') <> ''
              THEN 'rules = ' || quote_literal(to_jsonb(co)->>'collicurules') END,
         CASE WHEN co.collprovider = 'c' THEN 'lc_collate = ' || quote_literal(co.collcollate)
                                          || ', lc_ctype = ' || quote_literal(co.collctype) END,
         CASE WHEN NOT co.collisdeterministic THEN 'deterministic = false' END),
       NULL::text, NULL::text[]
  FROM pg_collation co
  WHERE co.collnamespace = %(ns)s::oid AND NOT {_OWNED.format(cls="pg_collation", objid="co.oid")}
UNION ALL
SELECT 'text_search_dictionary', d.oid, d.dictname::text,
       CASE WHEN tm.tmplnamespace = %(ns)s::oid THEN quote_ident(tm.tmplname)
            ELSE quote_ident(tn.nspname) || '.' || quote_ident(tm.tmplname) END,
       d.dictinitoption, NULL::text[]
  FROM pg_ts_dict d JOIN pg_ts_template tm ON tm.oid = d.dicttemplate
  JOIN pg_namespace tn ON tn.oid = tm.tmplnamespace
  WHERE d.dictnamespace = %(ns)s::oid AND NOT {_OWNED.format(cls="pg_ts_dict", objid="d.oid")}
UNION ALL
SELECT 'text_search_configuration', c.oid, c.cfgname::text,
       CASE WHEN p.prsnamespace = %(ns)s::oid THEN quote_ident(p.prsname)
            ELSE quote_ident(pn.nspname) || '.' || quote_ident(p.prsname) END,
       NULL::text,
       (SELECT array_agg(m.tok || '=' || m.dicts ORDER BY m.tok)
          FROM (SELECT tt.alias AS tok,
                       string_agg(mp.mapdict::regdictionary::text, ', ' ORDER BY mp.mapseqno)
                         AS dicts
                  FROM pg_ts_config_map mp
                  JOIN ts_token_type(c.cfgparser) tt ON tt.tokid = mp.maptokentype
                 WHERE mp.mapcfg = c.oid GROUP BY tt.alias) m)
  FROM pg_ts_config c JOIN pg_ts_parser p ON p.oid = c.cfgparser
  JOIN pg_namespace pn ON pn.oid = p.prsnamespace
  WHERE c.cfgnamespace = %(ns)s::oid AND NOT {_OWNED.format(cls="pg_ts_config", objid="c.oid")}
"""

_POLICIES = f"""
SELECT pol.oid, pol.polname, pol.polrelid, pol.polpermissive, pol.polcmd::text,
       ARRAY(SELECT CASE WHEN r = 0 THEN 'public' ELSE pg_get_userbyid(r)::text END
             FROM unnest(pol.polroles) r ORDER BY 1),
       pg_get_expr(pol.polqual, pol.polrelid), pg_get_expr(pol.polwithcheck, pol.polrelid)
FROM pg_policy pol JOIN pg_class c ON c.oid = pol.polrelid
WHERE c.relnamespace = %(ns)s::oid AND NOT {_OWNED.format(cls="pg_class", objid="c.oid")}
ORDER BY pol.polname
"""

# Normal and auto dependencies between user objects (pg_depend), each side as
# (catalog, oid, sub-id): a view's rule stands for its view, a column default for
# its column, a row type for its table, an array type for its element type. The
# reader keeps the pairs whose two sides it modelled.
_DEPENDS = """
SELECT CASE WHEN d.classid IN ('pg_rewrite'::regclass, 'pg_attrdef'::regclass) THEN 'pg_class'
            ELSE d.classid::regclass::text END,
       CASE d.classid WHEN 'pg_rewrite'::regclass THEN r.ev_class
                      WHEN 'pg_attrdef'::regclass THEN ad.adrelid ELSE d.objid END,
       CASE d.classid WHEN 'pg_rewrite'::regclass THEN 0
                      WHEN 'pg_attrdef'::regclass THEN ad.adnum ELSE d.objsubid END,
       d.refclassid::regclass::text, d.refobjid, d.refobjsubid,
       coalesce(nullif(rt.typrelid, 0), nullif(et.typrelid, 0)), et.oid
FROM pg_depend d
LEFT JOIN pg_rewrite r ON d.classid = 'pg_rewrite'::regclass AND r.oid = d.objid
LEFT JOIN pg_attrdef ad ON d.classid = 'pg_attrdef'::regclass AND ad.oid = d.objid
LEFT JOIN pg_type rt ON d.refclassid = 'pg_type'::regclass AND rt.oid = d.refobjid
LEFT JOIN pg_type et ON rt.typcategory = 'A' AND et.oid = rt.typelem AND et.typarray = rt.oid
WHERE d.deptype IN ('n', 'a') AND d.objid >= 16384 AND d.refobjid >= 16384
"""

QUERIES = (
    _SETUP,
    _RELATIONS,
    _COLUMNS,
    _CONSTRAINTS,
    _INDEXES,
    _PATH_WITH_PUBLIC,
    _SEQUENCES,
    _PATH_MANAGED_ONLY,
    _TYPES,
    _FUNCTIONS,
    _TRIGGERS,
    _EXTENSIONS,
    _POLICIES,
    _COLLATIONS_AND_TEXT_SEARCH,
    _COMMENTS,
    _DEPENDS,
    _OTHER,
)
QUERY_COUNT = len(QUERIES)  # statements sent by introspect() when the schema exists

_REL_KINDS = {"r": "table", "p": "table", "v": "view", "m": "materialized_view"}
_ACTIONS = {"a": "NO ACTION", "r": "RESTRICT", "c": "CASCADE", "n": "SET NULL", "d": "SET DEFAULT"}
_MATCH = {"s": "SIMPLE", "f": "FULL", "p": "PARTIAL"}
_IDENTITY = {"a": "ALWAYS", "d": "BY DEFAULT"}
_COMMANDS = {"*": "ALL", "r": "SELECT", "a": "INSERT", "w": "UPDATE", "d": "DELETE"}
_NOT_VALID = " NOT VALID"


def introspect(conn: psycopg.Connection[Any], schema: str) -> Schema:
    """The managed objects of `schema` in the database `conn` is connected to.

    A schema that does not exist reads as an empty model (everything missing).
    """
    with conn.transaction():
        row = conn.execute(_SETUP, {"schema": schema}).fetchone()
        ns = row[1] if row else None
        if ns is None:
            return Schema(schema=schema)
        return _Reader(conn, schema, int(ns)).read()


class _Reader:
    def __init__(self, conn: psycopg.Connection[Any], schema: str, ns: int) -> None:
        self.conn = conn
        self.schema = schema
        self.params: dict[str, Any] = {"ns": ns, "schema": schema}
        self.unmanaged: list[Unmanaged] = []
        self.rel_names: dict[int, str] = {}  # oid → name of every relation in the schema
        self.managed: set[tuple[str, int]] = set()  # (catalog, oid) of modelled objects
        self.history_hooks: list[tuple[str, str]] = []  # triggers and rules on the history
        self.partitions: dict[str, Partition] = {}
        # the columns of views, materialized views and partitions, by relation oid
        self.view_columns: dict[int, list[Column]] = defaultdict(list)
        # (catalog, oid) of each modelled object → its Ref (model.Ref); columns by
        # (table oid, attnum)
        self.refs: dict[tuple[str, int], Ref] = {}
        self.column_refs: dict[tuple[int, int], Ref] = {}
        self.behind: list[SequenceBehind] = []

    def rows(self, sql: str) -> list[tuple[Any, ...]]:
        return self.conn.execute(sql, self.params).fetchall()

    def read(self) -> Schema:
        tables, views, matviews = self._relations()
        self._columns_and_constraints(tables)
        views, matviews = self._view_columns(views, matviews)  # and partitions
        types = self._types(tables)
        indexes, leftovers = self._indexes(tables, matviews)
        sequences = self._sequences(tables)
        functions = self._functions()
        triggers = self._triggers(tables, views, matviews)
        extensions = self._extensions()
        policies = self._policies(tables)
        collations, dictionaries, configurations = self._collations_and_text_search()
        comments = self._comments(tables)  # of the objects read above
        depends = self._depends()
        for kind, name, detail in self.rows(_OTHER):
            if kind == "rule" and detail == HISTORY_TABLE:
                self.history_hooks.append(("rule", name))
            else:
                self.unmanaged.append(Unmanaged(kind, name, detail))
        return Schema(
            schema=self.schema,
            tables={name: t.build() for name, t in sorted(tables.items())},
            indexes=indexes,
            sequences=sequences,
            types=types,
            views=views,
            materialized_views=matviews,
            functions=functions,
            triggers=triggers,
            extensions=extensions,
            comments=comments,
            policies=policies,
            partitions=dict(sorted(self.partitions.items())),
            collations=collations,
            ts_dictionaries=dictionaries,
            ts_configurations=configurations,
            unmanaged=tuple(sorted(self.unmanaged, key=lambda u: (u.kind, u.name, u.detail))),
            leftovers=leftovers,
            history_hooks=tuple(sorted(self.history_hooks)),
            depends=depends,
            behind=tuple(sorted(self.behind, key=lambda b: (b.table, b.column))),
        )

    def _relations(
        self,
    ) -> tuple[dict[str, _TableParts], dict[str, View], dict[str, MaterializedView]]:
        tables: dict[str, _TableParts] = {}
        views: dict[str, View] = {}
        matviews: dict[str, MaterializedView] = {}
        partitions: list[tuple[Any, ...]] = []
        for row in self.rows(_RELATIONS):
            oid, name, kind, partition, rls, acl, options, viewdef, populated = row[:9]
            force_rls, unlogged, part_key, bound, parent, replident, replindex, parents = row[9:17]
            of_type, clustered_on, toast = row[17:]
            self.rel_names[oid] = name
            if is_internal(name):
                continue
            if toast:  # the last `toast` options are the TOAST table's
                options = options[: len(options) - toast] + [f"toast.{o}" for o in options[-toast:]]
            opts = tuple(sorted(options))
            if partition and kind in ("r", "p"):
                identity = _REPLICA_IDENTITY.get(replident, "DEFAULT")
                if replident == "i" and replindex:
                    identity = f"USING INDEX {replindex}"
                own = (opts, bool(rls), bool(force_rls), identity, clustered_on)
                partitions.append((oid, name, parent, bound or "", part_key, bool(unlogged), own))
                if acl:
                    self.unmanaged.append(Unmanaged("grant", name, "privileges granted"))
                continue
            if kind == "f":
                self.unmanaged.append(Unmanaged("foreign_table", name))
                continue
            if kind == "c":
                continue  # a composite type: listed with the types
            if acl:
                self.unmanaged.append(Unmanaged("grant", name, "privileges granted"))
            if kind == "S":
                continue  # sequences are read with their options below
            self.managed.add(("pg_class", oid))
            self.refs[("pg_class", oid)] = (_REL_KINDS[kind], name)
            if kind in ("r", "p"):
                parts = _TableParts(name, oid, opts)
                parts.row_security, parts.force_row_security = bool(rls), bool(force_rls)
                parts.unlogged, parts.partition_key = bool(unlogged), part_key
                parts.replica_identity = _REPLICA_IDENTITY.get(replident, "DEFAULT")
                if replident == "i" and replindex:
                    parts.replica_identity = f"USING INDEX {replindex}"
                parts.inherits = tuple(parents or ())
                parts.of_type, parts.clustered_on = of_type, clustered_on
                tables[name] = parts
            elif kind == "v":
                views[name] = View(name, viewdef or "", opts, oid=oid)
            elif kind == "m":
                matviews[name] = MaterializedView(
                    name,
                    viewdef or "",
                    opts,
                    clustered_on=clustered_on,
                    populated=bool(populated),
                    oid=oid,
                )
        for oid, name, parent, bound, part_key, unlogged, own in partitions:
            parent_name = self.rel_names.get(parent)
            if parent_name is None or is_internal(parent_name):
                # a partition of a table in another schema: not this schema's to manage
                self.unmanaged.append(Unmanaged("partition", name))
                continue
            opts, rls, force_rls, identity, clustered = own
            self.partitions[name] = Partition(
                name,
                parent_name,
                bound,
                part_key,
                unlogged,
                options=opts,
                row_security=rls,
                force_row_security=force_rls,
                replica_identity=identity,
                clustered_on=clustered,
                oid=oid,
            )
            self.managed.add(("pg_class", oid))
            self.refs[("pg_class", oid)] = ("table", name)
        return tables, dict(sorted(views.items())), dict(sorted(matviews.items()))

    def _view_columns(
        self, views: dict[str, View], matviews: dict[str, MaterializedView]
    ) -> tuple[dict[str, View], dict[str, MaterializedView]]:
        """Views with their columns' defaults; materialized views (and partitions,
        in place) with the columns whose settings were set."""
        out_views = {
            name: replace(
                v,
                defaults=tuple(
                    (c.name, c.default) for c in self.view_columns[v.oid] if c.default is not None
                ),
            )
            for name, v in views.items()
        }
        unset = (None, (), None, None)
        out_matviews = {
            name: replace(
                m,
                columns=tuple(
                    c
                    for c in self.view_columns[m.oid]
                    if (c.statistics, c.options, c.storage, c.compression) != unset
                ),
            )
            for name, m in matviews.items()
        }
        for name, p in self.partitions.items():
            columns = tuple(
                c
                for c in self.view_columns[p.oid]
                if (c.statistics, c.options, c.storage, c.compression) != unset
            )
            self.partitions[name] = replace(p, columns=columns)
        return out_views, out_matviews

    def _columns_and_constraints(self, tables: dict[str, _TableParts]) -> None:
        by_oid = {t.oid: t for t in tables.values()}
        columns = _COLUMNS if self.conn.info.server_version >= 140000 else _COLUMNS_13
        for row in self.rows(columns):
            rel, name, num, typ, notnull, default, identity, generated, coll = row[:9]
            stats, options, storage, compression = row[9:]  # storage: its own, its type's
            parts = by_oid.get(rel)
            column = Column(
                name=name,
                type=typ,
                notnull=bool(notnull),
                default=default if not generated and not identity else None,
                identity=_IDENTITY.get(identity or ""),
                generated=default if generated == "s" else None,
                collation=coll,
                statistics=stats,
                options=tuple(sorted(o for o in options or () if o.split("=")[0] in _ATTOPTIONS)),
                storage=_STORAGE.get(storage[0]) if storage else None,
                compression=_COMPRESSION.get(compression or ""),
                type_storage=_STORAGE.get(storage[1], "") if storage else "",
                position=num,
            )
            if parts is None:  # a view's or a materialized view's
                self.view_columns[rel].append(column)
                continue
            self.column_refs[(rel, num)] = ("column", parts.name, name)
            parts.columns.append(column)
        self.domain_checks: dict[int, list[DomainCheck]] = defaultdict(list)
        self.domain_check_oids: dict[int, list[int]] = defaultdict(list)
        for row in self.rows(_CONSTRAINTS):
            oid, name, rel, typ_oid, kind, definition, deferrable, deferred, valid = row[:9]
            index, cols, ref_table, ref_cols, upd, dele, match, quoted, indexdef = row[9:]
            spec = None
            if indexdef:  # "CREATE UNIQUE INDEX name ON t USING btree (…) INCLUDE (…) …"
                prefix = f"CREATE UNIQUE INDEX {quoted} "
                spec = indexdef[len(prefix) :] if indexdef.startswith(prefix) else None
            text = _strip_not_valid(definition, valid)
            if typ_oid:
                self.domain_checks[typ_oid].append(DomainCheck(name, text, bool(valid)))
                self.domain_check_oids[typ_oid].append(oid)
                self.managed.add(("pg_constraint", oid))
                continue
            parts = by_oid.get(rel)
            if parts is None:
                continue
            self.managed.add(("pg_constraint", oid))
            self.refs[("pg_constraint", oid)] = ("constraint", parts.name, name)
            is_fk = kind == "f"
            parts.constraints.append(
                Constraint(
                    name=name,
                    table=parts.name,
                    type=kind,
                    definition=text,
                    deferrable=bool(deferrable),
                    deferred=bool(deferred),
                    columns=tuple(cols or ()),
                    ref_table=ref_table if is_fk else None,
                    ref_columns=tuple(ref_cols or ()) if is_fk else (),
                    on_update=_ACTIONS.get(upd) if is_fk else None,
                    on_delete=_ACTIONS.get(dele) if is_fk else None,
                    match=_MATCH.get(match) if is_fk else None,
                    validated=bool(valid),
                    index=index,
                    index_spec=spec,
                )
            )

    def _types(
        self, tables: dict[str, _TableParts]
    ) -> dict[str, EnumType | Domain | CompositeType | RangeType]:
        types: dict[str, EnumType | Domain | CompositeType | RangeType] = {}
        for row in self.rows(_TYPES):
            oid, name, kind, labels, base, notnull, default, coll, rel, attributes, rng = row
            if is_internal(name):
                continue
            if kind == "e":
                types[name] = EnumType(name, tuple(labels or ()), oid)
            elif kind == "d":
                checks = sorted(self.domain_checks.get(oid, []), key=lambda c: c.name)
                types[name] = Domain(
                    name, base or "", bool(notnull), default, coll, tuple(checks), oid
                )
                # its CHECKs (and so what they call) stand for the domain
                for check_oid in self.domain_check_oids.get(oid, ()):
                    self.refs[("pg_constraint", check_oid)] = ("type", name)
            elif kind == "c":
                attrs = tuple(TypeAttribute(a, t, c) for a, t, c in attributes or ())
                types[name] = CompositeType(name, attrs, oid)
                # its relation (and so its attributes' dependencies and comments)
                # stands for the type
                self.refs[("pg_class", rel)] = ("type", name)
                self.managed.add(("pg_class", rel))
            elif kind == "r" and rng:
                types[name] = RangeType(name, rng[0], oid)
                if rng[1]:  # its multirange type: a column of it needs the range
                    self.refs[("pg_type", int(rng[1]))] = ("type", name)
            else:
                what = {"b": "base_type", "p": "shell_type"}
                self.unmanaged.append(Unmanaged(what.get(kind, "type"), name))
                continue
            self.managed.add(("pg_type", oid))
            self.refs[("pg_type", oid)] = ("type", name)
        return dict(sorted(types.items()))

    def _indexes(
        self, tables: dict[str, _TableParts], matviews: dict[str, MaterializedView]
    ) -> tuple[dict[str, Index], tuple[Index, ...]]:
        on = {t.oid: t.name for t in tables.values()}
        on.update({m.oid: m.name for m in matviews.values()})
        indexes: dict[str, Index] = {}
        leftovers: list[Index] = []
        for row in self.rows(_INDEXES):
            oid, name, rel, unique, valid, definition, method, pred, quoted, of_con = row[:10]
            keys, nulls_not_distinct = row[10], row[11]
            stats = row[12]  # the statistics targets set on its columns
            table = on.get(rel)
            internal = is_internal(name)
            if of_con and table is not None and not internal:
                self.managed.add(("pg_class", oid))  # the key's: only its comment is read
            if of_con or (table is None and not (internal and rel in self.rel_names)):
                continue  # behind a constraint, or on an unmanaged or internal relation
            table = table or self.rel_names[rel]
            # a partitioned table's index prints `ON ONLY`: the parent alone, which is
            # not what CREATE INDEX on it does (it builds one on every partition too)
            definition = definition.replace(f"INDEX {quoted} ON ONLY ", f"INDEX {quoted} ON ", 1)
            prefix = f"CREATE {'UNIQUE ' if unique else ''}INDEX {quoted} "
            spec = definition[len(prefix) :] if definition.startswith(prefix) else definition
            index = Index(
                name=name,
                table=table,
                unique=bool(unique),
                spec=spec,
                definition=definition,
                method=method,
                predicate=pred,
                statistics=tuple((int(n), int(t)) for n, t in stats or ()),
                valid=bool(valid),
                oid=oid,
                keys=tuple(keys),
                nulls_not_distinct=bool(nulls_not_distinct),
            )
            if internal:
                if not is_internal(table):
                    leftovers.append(index)
                continue
            indexes[name] = index
            self.managed.add(("pg_class", oid))
            self.refs[("pg_class", oid)] = ("index", name)
        return indexes, tuple(leftovers)

    def _sequences(self, tables: dict[str, _TableParts]) -> dict[str, Sequence]:
        by_oid = {t.oid: t for t in tables.values()}
        sequences: dict[str, Sequence] = {}
        self.rows(_PATH_WITH_PUBLIC)
        seq_rows = self.rows(_SEQUENCES)
        self.rows(_PATH_MANAGED_ONLY)
        for row in seq_rows:
            oid, typ, start, inc, lo, hi, cache, cycle, deptype, ref, column = row[:11]
            # row[11:14]: the sequence's last value, is_called, its column's max / min
            name = self.rel_names.get(oid, "")
            opts = SequenceOptions(typ, start, inc, lo, hi, cache, bool(cycle))
            ref_name = self.rel_names.get(ref) if ref is not None else None
            if ref in by_oid and column and row[13] is not None and row[11] is not None:
                last, edge = int(row[11]), int(row[13])
                nxt = last + inc if row[12] == "true" else last
                if (nxt <= edge) if inc > 0 else (nxt >= edge):
                    self.behind.append(
                        SequenceBehind(row[14], by_oid[ref].name, column, nxt, edge, inc)
                    )
            if deptype == "i":  # an identity column's sequence: part of the column
                parts = by_oid.get(ref)
                if parts is not None:
                    parts.identity[column] = opts
                continue
            if not name or is_internal(name) or (ref_name is not None and is_internal(ref_name)):
                continue
            owned = (ref_name, column) if ref_name is not None and column else None
            sequences[name] = Sequence(name, opts, owned, unlogged=bool(row[15]), oid=oid)
            self.managed.add(("pg_class", oid))
            self.refs[("pg_class", oid)] = ("sequence", name)
        return dict(sorted(sequences.items()))

    def _functions(self) -> dict[str, Function]:
        functions: dict[str, Function] = {}
        for oid, name, kind, args, definition, returns, signature in self.rows(_FUNCTIONS):
            if kind not in ("f", "p") and definition is None:
                what = "aggregate" if kind == "a" else "window_function"
                self.unmanaged.append(Unmanaged(what, f"{name}({args})"))
                continue
            if is_internal(name):
                continue
            what = {"p": "procedure", "a": "aggregate"}.get(kind, "function")
            fn = Function(
                name,
                args,
                what,
                definition,
                oid,
                returns=returns,
                signature=signature,
            )
            functions[fn.key] = fn
            self.managed.add(("pg_proc", oid))
            self.refs[("pg_proc", oid)] = ("function", fn.key)
        return dict(sorted(functions.items()))

    def _triggers(
        self,
        tables: dict[str, _TableParts],
        views: dict[str, View],
        matviews: dict[str, MaterializedView],
    ) -> dict[tuple[str, str], Trigger]:
        on = {t.oid: t.name for t in tables.values()}
        on.update({v.oid: v.name for v in views.values()})
        triggers: dict[tuple[str, str], Trigger] = {}
        for oid, name, rel, definition, enabled in self.rows(_TRIGGERS):
            if self.rel_names.get(rel) == HISTORY_TABLE:
                self.history_hooks.append(("trigger", name))
                continue
            table = on.get(rel)
            if table is None or is_internal(name):
                continue
            triggers[(table, name)] = Trigger(name, table, definition, enabled, oid)
            self.managed.add(("pg_trigger", oid))
            self.refs[("pg_trigger", oid)] = ("trigger", table, name)
        return dict(sorted(triggers.items()))

    def _extensions(self) -> dict[str, Extension]:
        extensions: dict[str, Extension] = {}
        # Every extension, wherever it lives: one outside the managed schema is
        # managed when the files declare it, else listed as unmanaged (diff).
        for oid, name, version, schema, _here in self.rows(_EXTENSIONS):
            extensions[name] = Extension(name, schema, version, oid)
        return dict(sorted(extensions.items()))

    def _policies(self, tables: dict[str, _TableParts]) -> dict[tuple[str, str], Policy]:
        on = {t.oid: t.name for t in tables.values()}
        policies: dict[tuple[str, str], Policy] = {}
        for oid, name, rel, permissive, cmd, roles, using, check in self.rows(_POLICIES):
            table = on.get(rel) or self.rel_names.get(rel)
            if table is None or is_internal(table):
                continue
            self.refs[("pg_policy", oid)] = ("policy", table, name)
            self.managed.add(("pg_policy", oid))
            policies[(table, name)] = Policy(
                name,
                table,
                bool(permissive),
                _COMMANDS.get(cmd, "ALL"),
                tuple(roles or ()),
                using,
                check,
                oid,
            )
        return dict(sorted(policies.items()))

    def _collations_and_text_search(
        self,
    ) -> tuple[
        dict[str, Collation],
        dict[str, TextSearchDictionary],
        dict[str, TextSearchConfiguration],
    ]:
        collations: dict[str, Collation] = {}
        dictionaries: dict[str, TextSearchDictionary] = {}
        configurations: dict[str, TextSearchConfiguration] = {}
        catalogs = {
            "collation": "pg_collation",
            "text_search_dictionary": "pg_ts_dict",
            "text_search_configuration": "pg_ts_config",
        }
        for kind, oid, name, text, options, mappings in self.rows(_COLLATIONS_AND_TEXT_SEARCH):
            if is_internal(name):
                continue
            if kind == "collation":
                collations[name] = Collation(name, text, oid)
            elif kind == "text_search_dictionary":
                dictionaries[name] = TextSearchDictionary(name, text, options or "", oid)
            else:
                maps = tuple(
                    (tok, tuple(dicts.split(", ")))
                    for tok, _, dicts in (m.partition("=") for m in mappings or ())
                )
                configurations[name] = TextSearchConfiguration(name, text, maps, oid)
            self.managed.add((catalogs[kind], oid))
            self.refs[(catalogs[kind], oid)] = (kind, name)
        return (
            dict(sorted(collations.items())),
            dict(sorted(dictionaries.items())),
            dict(sorted(configurations.items())),
        )

    def _depends(self) -> dict[Ref, tuple[Ref, ...]]:
        """What each modelled object needs among the modelled objects (model.Schema.depends)."""
        out: dict[Ref, set[Ref]] = defaultdict(set)
        for cls, oid, sub, ref_cls, ref_oid, ref_sub, row_of, element in self.rows(_DEPENDS):
            obj = self._ref(cls, oid, sub)
            if row_of is not None:  # a table's row type (or an array of it): the table
                ref = self._ref("pg_class", row_of, 0)
            elif element is not None:  # an array type: its element type
                ref = self._ref("pg_type", element, 0)
            else:
                ref = self._ref(ref_cls, ref_oid, ref_sub)
            if obj is None or ref is None or obj == ref:
                continue
            if ref[0] == "table" and obj[0] == "column" and obj[1] == ref[1]:
                continue  # a column is part of its table
            if obj[0] == "sequence" and ref[0] == "column":
                continue  # OWNED BY: the model's Sequence.owned_by, set after both exist
            out[obj].add(ref)
        return {k: tuple(sorted(v)) for k, v in sorted(out.items())}

    def _ref(self, catalog: str, oid: int, sub: int) -> Ref | None:
        if catalog == "pg_class" and sub:
            col = self.column_refs.get((oid, sub))
            if col is not None:
                return col
        return self.refs.get((catalog, oid))

    def _comments(self, tables: dict[str, _TableParts]) -> dict[tuple[str, str], Comment]:
        comments: dict[tuple[str, str], Comment] = {}
        for catalog, oid, _sub, typ, identity, text in self.rows(_COMMENTS):
            # an extension's: compared when the files declare it (compare/comments.py)
            if (catalog, oid) in self.managed or catalog == "pg_extension":
                comments[(typ, identity)] = Comment(typ, identity, text)
        return dict(sorted(comments.items()))


class _TableParts:
    """A table being assembled from the column, constraint and sequence queries."""

    def __init__(self, name: str, oid: int, options: tuple[str, ...]) -> None:
        self.name = name
        self.oid = oid
        self.options = options
        self.columns: list[Column] = []
        self.constraints: list[Constraint] = []
        self.identity: dict[str, SequenceOptions] = {}
        self.row_security = False
        self.force_row_security = False
        self.unlogged = False
        self.partition_key: str | None = None
        self.replica_identity = "DEFAULT"
        self.inherits: tuple[str, ...] = ()
        self.of_type: str | None = None
        self.clustered_on: str | None = None

    def build(self) -> Table:
        columns = tuple(
            Column(
                name=c.name,
                type=c.type,
                notnull=c.notnull,
                default=c.default,
                identity=c.identity,
                generated=c.generated,
                collation=c.collation,
                identity_sequence=self.identity.get(c.name) if c.identity else None,
                statistics=c.statistics,
                options=c.options,
                storage=c.storage,
                compression=c.compression,
                type_storage=c.type_storage,
                position=c.position,
            )
            for c in self.columns
        )
        constraints = tuple(sorted(self.constraints, key=lambda c: c.name))
        return Table(
            self.name,
            columns,
            constraints,
            self.options,
            self.oid,
            unlogged=self.unlogged,
            row_security=self.row_security,
            force_row_security=self.force_row_security,
            partition_key=self.partition_key,
            replica_identity=self.replica_identity,
            inherits=self.inherits,
            of_type=self.of_type,
            clustered_on=self.clustered_on,
        )


_REPLICA_IDENTITY = {"d": "DEFAULT", "n": "NOTHING", "f": "FULL"}
_STORAGE = {"p": "PLAIN", "m": "MAIN", "e": "EXTERNAL", "x": "EXTENDED"}
# The attribute options ALTER COLUMN … SET (…) takes (a server build may keep others
# there: this one writes pg_attver=… into every column).
_ATTOPTIONS = frozenset({"n_distinct", "n_distinct_inherited"})
_COMPRESSION = {"p": "pglz", "l": "lz4"}


def _strip_not_valid(definition: str, validated: bool) -> str:
    if not validated and definition.endswith(_NOT_VALID):
        return definition[: -len(_NOT_VALID)]
    return definition
