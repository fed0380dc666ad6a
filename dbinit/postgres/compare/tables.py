"""Tables and their columns: type changes, column facets, table options."""

from __future__ import annotations

import re
from dataclasses import replace

from dbinit.changes import (
    Change,
    Hazard,
    Kind,
    Safety,
    likely_renames,
    rename_hint,
    renamed_to_hint,
)
from dbinit.plan import Statement
from dbinit.postgres.compare.constraints import _key_used, _kind_once, constraint_cost, renamed_keys
from dbinit.postgres.compare.hazards import (
    ACCESS_EXCLUSIVE,
    SHARE_UPDATE_EXCLUSIVE,
    Facet,
    Render,
    _dedup,
    data_loss,
    lock,
    rewrite,
    validation_scan,
    worst,
)
from dbinit.postgres.compare.named import _ABSENT, _EXTRA, _declared
from dbinit.postgres.compare.renames import Renames, _renamed
from dbinit.postgres.ddl import (
    column_settings,
    column_settings_sql,
    column_sql,
    conversion,
    identity_into_range,
    identity_past_rows,
    options_clauses,
    seq_options,
    temp_name,
)
from dbinit.postgres.model import Column, Constraint, Schema, Table, is_internal
from dbinit.postgres.quote import ident as qi
from dbinit.postgres.quote import printed

# Defaults whose value PostgreSQL computes once when a column is added (no
# rewrite): literals as pg_get_expr prints them, and the stable functions below.
_LITERAL = re.compile(
    r"""^(?:
        \(?-?\d+(?:\.\d+)?(?:e[+-]?\d+)?\)?(?:::[a-z ]+)?  # 42, (-1), 0.5::numeric
      | '(?:[^']|'')*'(?:::[^'()]+(?:\(\d+(?:,\s*\d+)?\))?(?:\[\])*)?  # 'x'::text
      | true | false
      | NULL(?:::.+)?
    )$""",
    re.X,
)


_STABLE = frozenset(
    {
        "now()",
        "CURRENT_TIMESTAMP",
        "CURRENT_DATE",
        "CURRENT_TIME",
        "LOCALTIMESTAMP",
        "LOCALTIME",
        "transaction_timestamp()",
        "CURRENT_USER",
        "CURRENT_ROLE",
        "SESSION_USER",
    }
)


def is_constant_default(expr: str | None) -> bool:
    """Whether adding a column with this default leaves the table unrewritten
    (a literal or a stable function, evaluated once: PostgreSQL 11's fast default)."""
    return expr is None or expr in _STABLE or bool(_LITERAL.match(expr.strip()))


_MODS = re.compile(r"^(?P<base>[^()\[\]]+?)(?:\((?P<mods>[\d, ]+)\))?(?P<rest>(?:\[\])*)$")


_VARLEN = ("character varying", "bit varying")


_INT_WIDTH = {"smallint": 2, "integer": 4, "bigint": 8}


_FLOAT_WIDTH = {"real": 4, "double precision": 8}


def _parse_type(t: str) -> tuple[str, tuple[int, ...], str]:
    m = _MODS.match(t)
    if not m:
        return t, (), ""
    mods = tuple(int(x) for x in m["mods"].split(",")) if m["mods"] else ()
    return m["base"].strip(), mods, m["rest"]


def type_change(before: str, after: str) -> str:
    """How changing a column's type from `before` to `after` (format_type
    spellings) is carried out: "coercible" (no rewrite, catalog only),
    "narrowing" (values may not fit: checked or rewritten), "rewrite"."""
    b_base, b_mods, b_arr = _parse_type(before)
    a_base, a_mods, a_arr = _parse_type(after)
    if b_arr != a_arr:
        return "rewrite"
    if b_base in _VARLEN and a_base == b_base:
        if not a_mods or (b_mods and a_mods[0] >= b_mods[0]):
            return "coercible"
        return "narrowing"
    if b_base in ("character varying", "text") and a_base == "text":
        return "coercible"
    if b_base == "text" and a_base == "character varying":
        return "coercible" if not a_mods else "narrowing"
    if b_base == "numeric" and a_base == "numeric":
        if not a_mods:
            return "coercible"
        if not b_mods:
            return "narrowing"
        b_scale = b_mods[1] if len(b_mods) > 1 else 0
        a_scale = a_mods[1] if len(a_mods) > 1 else 0
        if a_scale == b_scale and a_mods[0] >= b_mods[0]:
            return "coercible"
        return "narrowing" if a_mods[0] - a_scale < b_mods[0] - b_scale else "rewrite"
    if b_base in _INT_WIDTH and a_base in _INT_WIDTH:
        return "narrowing" if _INT_WIDTH[a_base] < _INT_WIDTH[b_base] else "rewrite"
    if b_base in _FLOAT_WIDTH and a_base in _FLOAT_WIDTH:
        return "narrowing" if _FLOAT_WIDTH[a_base] < _FLOAT_WIDTH[b_base] else "rewrite"
    if b_base == a_base and b_mods != a_mods:
        return "narrowing" if a_mods and (not b_mods or a_mods[0] < b_mods[0]) else "rewrite"
    return "rewrite"


# One rule per fact of a changed column gives its safety, hazards, detail and
# statements together (the planner only runs the statements).
# The stages a changed column's statements run in, whatever fact they change.
_IDENTITY_DROPPED, _RETYPED, _DEFAULT, _IDENTITY, _NOTNULL, _SETTINGS = range(6)


def _alter(dc: Column, clause: str) -> Render:
    return lambda tbl: [Statement(f"ALTER TABLE {tbl} ALTER COLUMN {qi(dc.name)} {clause}")]


def _using(dc: Column, lc: Column) -> str | None:
    """The USING expression a type (or collation) change converts values with."""
    how = type_change(lc.type, dc.type) if dc.type != lc.type else "coercible"
    return conversion(dc, lc) if how == "rewrite" or dc.using else None


def _drops_default(dc: Column, lc: Column) -> bool:
    """Whether the type change drops the live default first (it may not convert
    along with the values USING converts), to set the declared one after."""
    changed = dc.type != lc.type or dc.collation != lc.collation
    return lc.default is not None and changed and _using(dc, lc) is not None


def _retype(dc: Column, lc: Column) -> tuple[tuple[int, Render], ...]:
    """ALTER COLUMN … TYPE, with the declared collation and the conversion."""
    coll = f" COLLATE {dc.collation}" if dc.collation else ""
    using = _using(dc, lc)
    if using is None:
        return ((_RETYPED, _alter(dc, f"TYPE {dc.type}{coll}")),)
    out: list[tuple[int, Render]] = []
    if lc.default is not None:
        out.append((_RETYPED, _alter(dc, "DROP DEFAULT")))
    out.append((_RETYPED, _alter(dc, f"TYPE {dc.type}{coll} USING {using}")))
    if lc.default is not None and dc.default == lc.default and dc.identity is None:
        out.append((_DEFAULT, _alter(dc, f"SET DEFAULT {dc.default}")))  # set again
    return tuple(out)


def _generated_fact(table: str, where: str, dc: Column, lc: Column) -> Facet | None:
    if dc.generated == lc.generated:
        return None
    loss: tuple[Hazard, ...]
    if lc.generated is None:  # stored values would be replaced by computed ones
        safety, loss = Safety.DESTRUCTIVE, (data_loss(f"the values of {where} are replaced"),)
    else:
        safety, loss = Safety.REBUILD, ()
    return Facet(
        "generated",
        safety,
        (lock(ACCESS_EXCLUSIVE, table, "while it is rewritten"), rewrite(table), *loss),
        f"generated {lc.generated or 'no'} → {dc.generated or 'no'}",
        sql=(
            (0, lambda tbl: [Statement(f"ALTER TABLE {tbl} DROP COLUMN {qi(lc.name)}")]),
            (0, lambda tbl: [Statement(f"ALTER TABLE {tbl} ADD COLUMN {column_sql(dc)}")]),
            (0, lambda tbl: column_settings_sql(tbl, dc)),  # the column is new again
        ),
    )


def _type_fact(table: str, where: str, dc: Column, lc: Column) -> Facet | None:
    if dc.type == lc.type:
        return None
    how = type_change(lc.type, dc.type)
    if how == "coercible":
        return Facet(
            "type",
            Safety.SAFE,
            (lock(ACCESS_EXCLUSIVE, table),),
            f"type {lc.type} → {dc.type} (binary-coercible, no rewrite)",
            sql=_retype(dc, lc),
            dependants=True,
        )
    hazards = [lock(ACCESS_EXCLUSIVE, table, "while it is rewritten"), rewrite(table)]
    safety = Safety.REBUILD
    if how == "narrowing":
        safety = Safety.DESTRUCTIVE
        hazards.append(data_loss(f"values of {where} that do not fit {dc.type} fail"))
    return Facet(
        "type",
        safety,
        tuple(hazards),
        f"type {lc.type} → {dc.type}",
        sql=_retype(dc, lc),
        checks=(("conversion", _using(dc, lc)),),
        dependants=True,
    )


def _collation_fact(table: str, where: str, dc: Column, lc: Column) -> Facet | None:
    if dc.collation == lc.collation:
        return None
    return Facet(
        "collation",
        Safety.REBUILD,
        (lock(ACCESS_EXCLUSIVE, table, "while its indexes are rebuilt"),),
        f"collation {lc.collation or 'default'} → {dc.collation or 'default'}",
        sql=_retype(dc, lc) if dc.type == lc.type else (),  # else with the type
        dependants=True,
    )


def _identity_fact(table: str, where: str, dc: Column, lc: Column) -> Facet | None:
    if dc.identity == lc.identity and not (
        dc.identity and dc.identity_sequence != lc.identity_sequence
    ):
        return None
    if lc.identity is None:
        opts = seq_options(dc.identity_sequence, with_type=False) if dc.identity_sequence else ""
        added: list[tuple[int, Render]] = []
        if lc.default is not None:
            added.append((_IDENTITY, _alter(dc, "DROP DEFAULT")))
        if not lc.notnull:  # ADD GENERATED needs NOT NULL first
            added.append((_IDENTITY, _alter(dc, "SET NOT NULL")))
        added.append((_IDENTITY, _alter(dc, f"ADD GENERATED {dc.identity} AS IDENTITY ({opts})")))
        added.append((_IDENTITY, lambda tbl: [identity_past_rows(tbl, dc)]))
        return Facet(
            "identity",
            Safety.REBUILD,
            (lock(ACCESS_EXCLUSIVE, table),),
            f"becomes an identity column ({dc.identity}); its sequence starts as declared, "
            "or past the values the rows hold",
            sql=tuple(added),
        )
    if dc.identity is None:
        return Facet(
            "identity",
            Safety.DESTRUCTIVE,
            (lock(ACCESS_EXCLUSIVE, table), data_loss(f"the identity sequence of {where}")),
            f"identity {lc.identity} dropped",
            sql=((_IDENTITY_DROPPED, _alter(dc, "DROP IDENTITY")),),
        )
    sets = [f"SET GENERATED {dc.identity}"]
    if dc.identity_sequence and dc.identity_sequence != lc.identity_sequence:
        o = dc.identity_sequence
        sets += [
            f"SET INCREMENT BY {o.increment}",
            f"SET MINVALUE {o.minvalue}",
            f"SET MAXVALUE {o.maxvalue}",
            f"SET START WITH {o.start}",
            f"SET CACHE {o.cache}",
            "SET CYCLE" if o.cycle else "SET NO CYCLE",
        ]
    changed: tuple[tuple[int, Render], ...] = ()
    if dc.identity != lc.identity or len(sets) > 1:
        changed = (
            (_IDENTITY, lambda tbl: identity_into_range(tbl, dc, lc)),
            (_IDENTITY, _alter(dc, " ".join(sets))),
        )
    return Facet(
        "identity",
        Safety.SAFE,
        (lock(ACCESS_EXCLUSIVE, table),),
        f"identity {lc.identity} → {dc.identity} (or its sequence options)",
        sql=changed,
    )


def _notnull_fact(table: str, where: str, dc: Column, lc: Column) -> Facet | None:
    if dc.notnull == lc.notnull:
        return None
    if not dc.notnull:
        return Facet(
            "notnull",
            Safety.SAFE,
            (lock(ACCESS_EXCLUSIVE, table),),
            "NOT NULL dropped",
            sql=((_NOTNULL, _alter(dc, "DROP NOT NULL")),),
        )
    if dc.identity and not lc.identity:  # the identity sets NOT NULL itself
        chain: tuple[tuple[int, Render], ...] = ()
        checks: tuple[tuple[str, str | None], ...] = ()
    else:
        check = qi(temp_name("nn", where))
        col = qi(dc.name)

        def validated(tbl: str) -> list[Statement]:
            return [
                Statement(
                    f"ALTER TABLE {tbl} ADD CONSTRAINT {check} CHECK ({col} IS NOT NULL) NOT VALID"
                ),
                Statement(f"ALTER TABLE {tbl} VALIDATE CONSTRAINT {check}", online=True),
                Statement(f"ALTER TABLE {tbl} ALTER COLUMN {col} SET NOT NULL", online=True),
                Statement(f"ALTER TABLE {tbl} DROP CONSTRAINT {check}", online=True),
            ]

        chain, checks = ((_NOTNULL, validated),), (("notnull", None),)
    return Facet(
        "notnull",
        Safety.SAFE,
        (validation_scan(table, f"{dc.name} IS NOT NULL"), lock(ACCESS_EXCLUSIVE, table)),
        "NOT NULL added (through a validated CHECK)",
        sql=chain,
        checks=checks,
    )


def _default_fact(table: str, where: str, dc: Column, lc: Column) -> Facet | None:
    if dc.default == lc.default or dc.identity or (lc.identity and not dc.default):
        return None
    sql: tuple[tuple[int, Render], ...] = ()
    if dc.default is not None:
        sql = ((_DEFAULT, _alter(dc, f"SET DEFAULT {dc.default}")),)
    elif not _drops_default(dc, lc):  # else dropped with the type change already
        sql = ((_DEFAULT, _alter(dc, "DROP DEFAULT")),)
    return Facet(
        "default",
        Safety.SAFE,
        (lock(ACCESS_EXCLUSIVE, table),),
        f"default {lc.default or 'none'} → {dc.default or 'none'}",
        sql=sql,
    )


def _retyped(dc: Column, lc: Column) -> bool:
    """Whether the plan runs ALTER COLUMN … TYPE, which resets the column's
    storage to the new type's and its compression to the default."""
    return dc.type != lc.type or dc.collation != lc.collation


def _only(dc: Column, clause: str) -> Render:
    """ALTER TABLE ONLY: a partitioned table's setting is its own (its partitions'
    are theirs, compared on their own)."""
    return lambda tbl: [Statement(f"ALTER TABLE ONLY {tbl} ALTER COLUMN {qi(dc.name)} {clause}")]


def _setting(dc: Column, clause: str) -> tuple[tuple[int, Render], ...]:
    return ((_SETTINGS, _only(dc, clause)),)


def _statistics_fact(table: str, where: str, dc: Column, lc: Column) -> Facet | None:
    """SET STATISTICS: the target ANALYZE samples for (no rewrite, no scan)."""
    if dc.statistics == lc.statistics:
        return None
    target = -1 if dc.statistics is None else dc.statistics
    have = "default" if lc.statistics is None else lc.statistics
    want = "default" if dc.statistics is None else dc.statistics
    return Facet(
        "statistics",
        Safety.SAFE,
        (lock(SHARE_UPDATE_EXCLUSIVE, table),),
        f"statistics target {have} → {want}",
        sql=_setting(dc, f"SET STATISTICS {target}"),
    )


def _options_fact(table: str, where: str, dc: Column, lc: Column) -> Facet | None:
    """SET (n_distinct = …) / RESET (…): what ANALYZE assumes (no rewrite, no scan)."""
    if dc.options == lc.options:
        return None
    return Facet(
        "options",
        Safety.SAFE,
        (lock(SHARE_UPDATE_EXCLUSIVE, table),),
        f"options {', '.join(lc.options) or 'none'} → {', '.join(dc.options) or 'none'}",
        sql=tuple((_SETTINGS, _only(dc, c)) for c in options_clauses(dc.options, lc.options)),
    )


def _kept_setting(
    aspect: str, table: str, dc: Column, lc: Column, want: str | None, have: str | None, to: str
) -> Facet | None:
    """SET STORAGE / SET COMPRESSION (`aspect`): for values stored from now on, no
    rewrite. A type change resets it: a declared one is set again after that."""
    now = None if _retyped(dc, lc) else have
    if want == now:
        return None
    again = " (set again after the type change)" if want == have else ""
    return Facet(
        aspect,
        Safety.SAFE,
        (lock(ACCESS_EXCLUSIVE, table),),
        f"{aspect} {have or 'default'} → {want or 'default'}{again}",
        sql=_setting(dc, f"SET {aspect.upper()} {to}"),
    )


def _storage_fact(table: str, where: str, dc: Column, lc: Column) -> Facet | None:
    # no storage declared: the type's own (lc's type: were it retyped, it would be reset)
    to = dc.storage or lc.type_storage
    return _kept_setting("storage", table, dc, lc, dc.storage, lc.storage, to)


def _compression_fact(table: str, where: str, dc: Column, lc: Column) -> Facet | None:
    to = dc.compression or "default"
    return _kept_setting("compression", table, dc, lc, dc.compression, lc.compression, to)


# One rule per fact of a column, in the order a change's detail names them.
_FACTS = (
    _type_fact,
    _collation_fact,
    _identity_fact,
    _notnull_fact,
    _default_fact,
    _statistics_fact,
    _options_fact,
    _storage_fact,
    _compression_fact,
)


def column_facets(table: str, dc: Column, lc: Column) -> list[Facet]:
    """What differs between the declared column `dc` and the live `lc`, each
    difference with its cost and its statements."""
    where = f"{table}.{dc.name}"
    generated = _generated_fact(table, where, dc, lc)
    if generated is not None:
        return [generated]  # the column is dropped and added again: nothing else to change
    return [f for rule in _FACTS if (f := rule(table, where, dc, lc)) is not None]


def _added_column(table: str, dc: Column) -> tuple[Safety, tuple[Hazard, ...], str]:
    if dc.generated or dc.identity or not is_constant_default(dc.default):
        what = (
            "a stored generated column"
            if dc.generated
            else "an identity column"
            if dc.identity
            else f"a column with the volatile default {dc.default}"
        )
        return (
            Safety.REBUILD,
            (lock(ACCESS_EXCLUSIVE, table, "while it is rewritten"), rewrite(table)),
            f"adding {what} rewrites the table",
        )
    if dc.notnull and dc.default is None:
        return (
            Safety.SAFE,
            (lock(ACCESS_EXCLUSIVE, table),),
            "NOT NULL without a default: only an empty table takes it",
        )
    return Safety.SAFE, (lock(ACCESS_EXCLUSIVE, table),), "no rewrite"


def _inheritance(table: str, parents: tuple[str, ...]) -> str:
    return (
        f"{table} inherits from {', '.join(parents)} in the database, and table inheritance "
        f"is not managed (detach it: ALTER TABLE {table} NO INHERIT {parents[0]})"
        if parents
        else f"{table} would inherit from another table: table inheritance is not managed"
    )


def _has_index(table: Table, live: Schema, name: str) -> bool:
    """Whether `name` (as quote_ident prints it: REPLICA IDENTITY's) is one of
    `table`'s live indexes."""
    names = {printed(i.name) for i in live.indexes.values() if i.table == table.name}
    names |= {printed(k.index) for k in table.constraints if k.index}
    return name in names


def _table_sql(clause: str, *, online: bool = False) -> Render:
    return lambda tbl: [Statement(f"ALTER TABLE {tbl} {clause}", online=online)]


# The stages a changed table's statements run in, whatever fact they change.
_SECURITY, _IDENTITY_SET, _LOGGED, _RESET, _SET, _CLUSTER = range(6)


def row_security_facets(dt: Table, enabled: bool, forced: bool) -> list[Facet]:
    """Row-level security enabled and forced as `dt` declares, where it is now
    `enabled` and `forced` (both False for a table the plan creates)."""
    out: list[Facet] = []
    for what, word, want, have in (
        ("row level security", ("DISABLE", "ENABLE"), dt.row_security, enabled),
        ("forced row level security", ("NO FORCE", "FORCE"), dt.force_row_security, forced),
    ):
        if want != have:
            state = "enabled" if want else "disabled"
            out.append(
                Facet(
                    "row_security",
                    Safety.SAFE,
                    (lock(ACCESS_EXCLUSIVE, dt.name),),
                    f"{what} {state}",
                    sql=((_SECURITY, _table_sql(f"{word[want]} ROW LEVEL SECURITY")),),
                )
            )
    return out


def table_facets(dt: Table, lt: Table, live: Schema) -> list[Facet]:
    """What differs in a table itself (not its columns or constraints), each
    difference with its cost and its statements: storage options, row-level
    security enabled or forced, REPLICA IDENTITY, UNLOGGED, the index it is
    clustered on, a typed table's type (NOT OF); a changed partition key or
    inheritance is `refused` (not managed)."""
    t = dt.name
    out: list[Facet] = []
    if dt.options != lt.options:
        declared = {o.split("=", 1)[0] for o in dt.options}
        gone = [k for o in lt.options if (k := o.split("=", 1)[0]) not in declared]
        sql: list[tuple[int, Render]] = []
        if gone:
            sql.append((_RESET, _table_sql(f"RESET ({', '.join(gone)})")))
        if dt.options:
            sql.append((_SET, _table_sql(f"SET ({', '.join(dt.options)})")))
        out.append(
            Facet(
                "options",
                Safety.SAFE,
                (lock(SHARE_UPDATE_EXCLUSIVE, t),),
                f"options {', '.join(lt.options) or 'none'} → {', '.join(dt.options) or 'none'}",
                sql=tuple(sql),
            )
        )
    out += row_security_facets(dt, lt.row_security, lt.force_row_security)
    if dt.unlogged != lt.unlogged:
        out.append(
            Facet(
                "unlogged",
                Safety.REBUILD,
                (lock(ACCESS_EXCLUSIVE, t), rewrite(t)),
                "UNLOGGED" if dt.unlogged else "LOGGED (every row is written to the WAL)",
                sql=((_LOGGED, _table_sql(f"SET {'UNLOGGED' if dt.unlogged else 'LOGGED'}")),),
            )
        )
    if dt.clustered_on != lt.clustered_on:
        if dt.clustered_on is None:
            cluster = _table_sql("SET WITHOUT CLUSTER")
        else:  # on an index this plan builds (concurrently, after the transaction): after it
            online = not _has_index(lt, live, printed(dt.clustered_on))
            cluster = _table_sql(f"CLUSTER ON {qi(dt.clustered_on)}", online=online)
        out.append(
            Facet(
                "cluster",
                Safety.SAFE,
                (lock(SHARE_UPDATE_EXCLUSIVE, t),),
                f"clustered on {lt.clustered_on or 'no index'} → {dt.clustered_on or 'no index'}",
                sql=((_CLUSTER, cluster),),
            )
        )
    if dt.of_type != lt.of_type:  # the files never declare one (refused): NOT OF
        out.append(
            Facet(
                "of_type",
                Safety.SAFE,
                (lock(ACCESS_EXCLUSIVE, t),),
                f"a typed table (OF {lt.of_type}) in the database: made a plain table (NOT OF)",
                sql=((_SECURITY, _table_sql("NOT OF")),),
            )
        )
    if dt.partition_key != lt.partition_key:
        key = f"{lt.partition_key or 'none'} → {dt.partition_key or 'none'}"
        out.append(
            Facet(
                "partition_key",
                Safety.REBUILD,
                (),
                f"partitioning {key}",
                refused=f"{t} changes how it is partitioned",
            )
        )
    if dt.replica_identity != lt.replica_identity:
        index = dt.replica_identity.removeprefix("USING INDEX ")
        # on an index this plan builds (concurrently, after the transaction): after it
        online = index != dt.replica_identity and not _has_index(lt, live, index)
        out.append(
            Facet(
                "replica_identity",
                Safety.SAFE,
                (lock(ACCESS_EXCLUSIVE, t),),
                f"replica identity {lt.replica_identity} → {dt.replica_identity}",
                sql=(
                    (
                        _IDENTITY_SET,
                        _table_sql(f"REPLICA IDENTITY {dt.replica_identity}", online=online),
                    ),
                ),
            )
        )
    if dt.inherits != lt.inherits:
        parents = ", ".join(lt.inherits) or "none"
        out.append(
            Facet(
                "inherits",
                Safety.REBUILD,
                (),
                f"inherits from {parents} in the database (table inheritance is not managed)",
                refused=_inheritance(t, lt.inherits),
            )
        )
    return out


def _table(dt: Table, lt: Table, live: Schema) -> list[Change]:
    out: list[Change] = []
    t = dt.name
    own = table_facets(dt, lt, live)
    if own:
        out.append(
            Change(
                Kind.TABLE_CHANGED,
                "table",
                t,
                t,
                worst(*(f.safety for f in own)),
                "; ".join(f.detail for f in own),
                hazards=_dedup(h for f in own for h in f.hazards),
                facts=(dt, lt, tuple(own)),  # the planner runs their statements
            )
        )
    dnames, lnames = {c.name for c in dt.columns}, {c.name for c in lt.columns}
    guesses = likely_renames(
        [(c.name, c.type) for c in dt.columns],
        [(c.name, c.type) for c in lt.columns],
        dnames - lnames,
        lnames - dnames,
    )
    guessed = {old: new for new, old in guesses.items()}
    for dc in dt.columns:
        lc = lt.column(dc.name)
        if lc is None:
            safety, hazards, why = _added_column(t, dc)
            if dc.name in guesses:
                why += rename_hint(guesses[dc.name])
            out.append(
                Change(
                    Kind.MISSING_COLUMN,
                    "column",
                    dc.name,
                    t,
                    safety,
                    f"{_declared(dc if dc.loc else dt)}, {_ABSENT}; {why}",
                    column=dc.name,
                    after=dc.type,
                    hazards=hazards,
                    facts=(dc, None),
                )
            )
        elif dc != lc:
            facets = column_facets(t, dc, lc)
            if facets:
                out.append(
                    Change(
                        Kind.COLUMN_CHANGED,
                        "column",
                        dc.name,
                        t,
                        worst(*(f.safety for f in facets)),
                        "; ".join(f.detail for f in facets),
                        column=dc.name,
                        before=lc.type,
                        after=dc.type,
                        hazards=_dedup(h for f in facets for h in f.hazards),
                        facts=(dc, lc, tuple(facets)),  # the planner runs their statements
                    )
                )
    for lc in lt.columns:
        if dt.column(lc.name) is None:
            out.append(
                Change(
                    Kind.EXTRA_COLUMN,
                    "column",
                    lc.name,
                    t,
                    Safety.DESTRUCTIVE,
                    _EXTRA + (renamed_to_hint(guessed[lc.name]) if lc.name in guessed else ""),
                    column=lc.name,
                    before=lc.type,
                    hazards=(lock(ACCESS_EXCLUSIVE, t), data_loss(f"the values of {t}.{lc.name}")),
                    extra=True,
                    facts=(None, lc),
                )
            )
    declared = {c.name: c for c in dt.constraints if not is_internal(c.name)}
    present = {c.name: c for c in lt.constraints if not is_internal(c.name)}
    renamed = renamed_keys(dt, lt)
    for name, dcon in declared.items():
        lcon = present.get(name)
        if name in renamed:
            rename = f"RENAME CONSTRAINT {qi(renamed[name])} TO {qi(name)}"
            facet = Facet(
                "renamed",
                Safety.SAFE,
                (lock(ACCESS_EXCLUSIVE, t),),
                f"{_kind_once(dcon)}, named {renamed[name]} in the database: renamed",
                sql=((0, _table_sql(rename)),),
            )
            # the same key, named otherwise
            live_key = lt.constraint(renamed[name])
            out.append(_constraint_changed(facet, dcon, live_key, renamed[name], name))
        elif lcon is None:
            safety, hazards = constraint_cost(dcon, new_table=False)
            out.append(
                Change(
                    Kind.MISSING_CONSTRAINT,
                    "constraint",
                    name,
                    t,
                    safety,
                    f"{_kind_once(dcon)}, {_ABSENT}",
                    after=dcon.definition,
                    hazards=hazards,
                    facts=(dcon, None),
                )
            )
        elif lcon != dcon:
            safety, hazards = constraint_cost(dcon, new_table=False)
            facet = Facet(
                "definition",
                safety,
                (lock(ACCESS_EXCLUSIVE, t), *hazards),
                f"{lcon.definition} → {dcon.definition}",
            )  # dropped and added again: how it is added is the plan's (online or not)
            out.append(_constraint_changed(facet, dcon, lcon, lcon.definition, dcon.definition))
        elif not lcon.validated and dcon.validated:  # declared NOT VALID: satisfied either way
            validate = f"VALIDATE CONSTRAINT {qi(name)}"
            facet = Facet(
                "validated",
                Safety.SAFE,
                (validation_scan(t, name),),
                "NOT VALID in the database: validated",
                sql=((0, _table_sql(validate, online=True)),),
            )
            before = f"{lcon.definition} NOT VALID"
            out.append(_constraint_changed(facet, dcon, lcon, before, dcon.definition))
    for name, lcon in present.items():
        if name not in declared and name not in renamed.values():
            out.append(
                Change(
                    Kind.EXTRA_CONSTRAINT,
                    "constraint",
                    name,
                    t,
                    Safety.DESTRUCTIVE,
                    f"{_kind_once(lcon)}, {_EXTRA}",
                    before=lcon.definition,
                    hazards=(lock(ACCESS_EXCLUSIVE, t),),
                    extra=True,
                    facts=(None, lcon),
                )
            )
    return out


def compare_tables(desired: Schema, live: Schema, renames: Renames, gone: set[str]) -> list[Change]:
    """Declared tables: missing, or compared (their own facets, columns,
    constraints), after the hinted renames; then the live tables in `gone` (no
    schema file declares them), extras."""
    out: list[Change] = []
    for name, dt in desired.tables.items():
        lt = live.tables.get(name)
        out += _renamed(dt, renames)
        if lt is None:
            out.append(
                Change(
                    Kind.MISSING_TABLE,
                    "table",
                    name,
                    name,
                    Safety.SAFE,
                    f"{_declared(dt)}, {_ABSENT}",
                    facts=(dt, None),
                )
            )
        else:
            out += [_key_used(ch, desired, live) for ch in _table(dt, lt, live)]
    for name in sorted(gone):
        out.append(
            Change(
                Kind.EXTRA_TABLE,
                "table",
                name,
                name,
                Safety.DESTRUCTIVE,
                _EXTRA,
                hazards=(lock(ACCESS_EXCLUSIVE, name), data_loss(f"every row of {name}")),
                extra=True,
                facts=(None, live.tables[name]),
            )
        )
    return out


def _unset(c: Column) -> Column:
    return replace(c, statistics=None, options=(), storage=None, compression=None)


def settings_facets(
    name: str, what: str, want: tuple[Column, ...], have: tuple[Column, ...]
) -> list[Facet]:
    """The column settings (statistics, options, storage, compression) of a
    relation that keeps only the columns whose settings were set (a materialized
    view, a partition: `what` as ALTER names it), one facet per column."""
    out: list[Facet] = []
    wanted, had = {c.name: c for c in want}, {c.name: c for c in have}
    only = "ONLY " if what == "TABLE" else ""
    for col in sorted(wanted.keys() | had.keys()):
        dc = wanted.get(col) or _unset(had[col])
        lc = had.get(col) or _unset(wanted[col])
        if dc == lc:
            continue
        clauses = column_settings(dc, lc)

        def render(q: str, clauses: list[str] = clauses, col: str = col) -> list[Statement]:
            alter = ", ".join(f"ALTER COLUMN {qi(col)} {c}" for c in clauses)
            return [Statement(f"ALTER {what} {only}{q} {alter}")]

        out.append(
            Facet(
                "settings",
                Safety.SAFE,
                (lock(ACCESS_EXCLUSIVE, name),),
                f"settings of column {col}: {', '.join(clauses)}",
                sql=((_SETTINGS, render),),
            )
        )
    return out


def _constraint_changed(
    facet: Facet, dcon: Constraint, lcon: Constraint | None, before: str, after: str
) -> Change:
    """A declared constraint the database has otherwise, by its one facet."""
    return Change(
        Kind.CONSTRAINT_CHANGED,
        "constraint",
        dcon.name,
        dcon.table,
        facet.safety,
        facet.detail,
        before=before,
        after=after,
        hazards=facet.hazards,
        facts=(dcon, lcon, (facet,)),
    )
