"""Pure diff of two PostgreSQL schema models into typed changes, per object kind.

only desired → missing, only live → extra, both → compare the model's
fields (the server's canonical spellings). Safety is judged as if every table
had rows (postgres.md "Change classes"): `safe` changes neither rewrite a table
nor hold a long lock with the online techniques the planner uses, `rebuild`
ones do, `destructive` ones drop or narrow. Every change carries its hazards.
Drift that is state rather than definition is a change too: an invalid index
(a failed concurrent build) is `index_changed`, a NOT VALID constraint is
`constraint_changed`. No SQL is built here (see `plan.py`); nothing reads a
database. dbinit's own `_dbinit_*` objects never appear.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from typing import Any

from dbinit.changes import (
    Change,
    Hazard,
    Kind,
    Safety,
    likely_renames,
    rename_hint,
    renamed_to_hint,
)
from dbinit.postgres.model import (
    HISTORY_TABLE,
    NAMEDATALEN,
    Column,
    Comment,
    CompositeType,
    Constraint,
    Domain,
    EnumType,
    Extension,
    Partition,
    Schema,
    Sequence,
    Table,
    Trigger,
    is_internal,
    truncated,
)
from dbinit.postgres.quote import ident as _qi
from dbinit.postgres.quote import literal as quote_literal
from dbinit.postgres.quote import printed as _ident
from dbinit.postgres.reprint import as_declared

ACCESS_EXCLUSIVE = "ACCESS EXCLUSIVE"
SHARE_UPDATE_EXCLUSIVE = "SHARE UPDATE EXCLUSIVE"
SHARE_ROW_EXCLUSIVE = "SHARE ROW EXCLUSIVE"

_RANK = {Safety.SAFE: 0, Safety.REBUILD: 1, Safety.DESTRUCTIVE: 2}


def worst(*safeties: Safety) -> Safety:
    return max(safeties, key=lambda s: _RANK[s], default=Safety.SAFE)


def lock(level: str, table: str, how: str = "briefly") -> Hazard:
    return Hazard("lock", f"{level} lock on {table}, held {how}")


def rewrite(table: str) -> Hazard:
    return Hazard("rewrite", f"rewrites {table} and its indexes")


def index_build(index: str, table: str) -> Hazard:
    return Hazard("index_build", f"builds index {index} on {table} concurrently (writes continue)")


def validation_scan(table: str, what: str) -> Hazard:
    return Hazard(
        "validation_scan",
        f"scans {table} to validate {what} under a {SHARE_UPDATE_EXCLUSIVE} lock "
        "(reads and writes continue)",
    )


def data_loss(what: str) -> Hazard:
    return Hazard("data_loss", what)


# ---------------------------------------------------------------- columns


@dataclass(frozen=True, slots=True)
class Facet:
    """One aspect of a column that differs, with what changing it costs."""

    aspect: str  # "type", "collation", "notnull", "default", "identity", "generated"
    safety: Safety
    hazards: tuple[Hazard, ...]
    detail: str


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


def column_facets(table: str, dc: Column, lc: Column) -> list[Facet]:
    """What differs between the declared column `dc` and the live `lc`."""
    where = f"{table}.{dc.name}"
    out: list[Facet] = []
    if dc.generated != lc.generated:
        loss: tuple[Hazard, ...]
        if lc.generated is None:  # stored values would be replaced by computed ones
            safety, loss = Safety.DESTRUCTIVE, (data_loss(f"the values of {where} are replaced"),)
        else:
            safety, loss = Safety.REBUILD, ()
        out.append(
            Facet(
                "generated",
                safety,
                (lock(ACCESS_EXCLUSIVE, table, "while it is rewritten"), rewrite(table), *loss),
                f"generated {lc.generated or 'no'} → {dc.generated or 'no'}",
            )
        )
        return out  # the column is dropped and added again: nothing else to change
    if dc.type != lc.type:
        how = type_change(lc.type, dc.type)
        if how == "coercible":
            out.append(
                Facet(
                    "type",
                    Safety.SAFE,
                    (lock(ACCESS_EXCLUSIVE, table),),
                    f"type {lc.type} → {dc.type} (binary-coercible, no rewrite)",
                )
            )
        else:
            hazards = [lock(ACCESS_EXCLUSIVE, table, "while it is rewritten"), rewrite(table)]
            safety = Safety.REBUILD
            if how == "narrowing":
                safety = Safety.DESTRUCTIVE
                hazards.append(data_loss(f"values of {where} that do not fit {dc.type} fail"))
            out.append(Facet("type", safety, tuple(hazards), f"type {lc.type} → {dc.type}"))
    if dc.collation != lc.collation:
        out.append(
            Facet(
                "collation",
                Safety.REBUILD,
                (lock(ACCESS_EXCLUSIVE, table, "while its indexes are rebuilt"),),
                f"collation {lc.collation or 'default'} → {dc.collation or 'default'}",
            )
        )
    if dc.identity != lc.identity or (dc.identity and dc.identity_sequence != lc.identity_sequence):
        if lc.identity is None:
            out.append(
                Facet(
                    "identity",
                    Safety.REBUILD,
                    (lock(ACCESS_EXCLUSIVE, table),),
                    f"becomes an identity column ({dc.identity}); its sequence starts "
                    "as declared whatever values the rows hold",
                )
            )
        elif dc.identity is None:
            out.append(
                Facet(
                    "identity",
                    Safety.DESTRUCTIVE,
                    (lock(ACCESS_EXCLUSIVE, table), data_loss(f"the identity sequence of {where}")),
                    f"identity {lc.identity} dropped",
                )
            )
        else:
            out.append(
                Facet(
                    "identity",
                    Safety.SAFE,
                    (lock(ACCESS_EXCLUSIVE, table),),
                    f"identity {lc.identity} → {dc.identity} (or its sequence options)",
                )
            )
    if dc.notnull != lc.notnull:
        if dc.notnull:
            out.append(
                Facet(
                    "notnull",
                    Safety.SAFE,
                    (
                        validation_scan(table, f"{dc.name} IS NOT NULL"),
                        lock(ACCESS_EXCLUSIVE, table),
                    ),
                    "NOT NULL added (through a validated CHECK)",
                )
            )
        else:
            out.append(
                Facet("notnull", Safety.SAFE, (lock(ACCESS_EXCLUSIVE, table),), "NOT NULL dropped")
            )
    if dc.default != lc.default and not (dc.identity or (lc.identity and not dc.default)):
        out.append(
            Facet(
                "default",
                Safety.SAFE,
                (lock(ACCESS_EXCLUSIVE, table),),
                f"default {lc.default or 'none'} → {dc.default or 'none'}",
            )
        )
    return out


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


# ---------------------------------------------------------------- constraints


def constraint_cost(con: Constraint, *, new_table: bool) -> tuple[Safety, tuple[Hazard, ...]]:
    """What adding `con` costs (on a table created in the same plan: nothing).
    A CHECK or FOREIGN KEY declared NOT VALID is added NOT VALID and never
    validated: no scan."""
    t = con.table
    if new_table:
        return Safety.SAFE, ()
    if con.type in ("c", "f") and not con.validated:
        locks = [lock(ACCESS_EXCLUSIVE if con.type == "c" else SHARE_ROW_EXCLUSIVE, t)]
        if con.type == "f" and con.ref_table:
            locks.append(lock(SHARE_ROW_EXCLUSIVE, con.ref_table))
        return Safety.SAFE, tuple(locks)
    if con.type in ("c", "f"):
        hz: list[Hazard] = [
            lock(ACCESS_EXCLUSIVE if con.type == "c" else SHARE_ROW_EXCLUSIVE, t),
            validation_scan(t, con.name),
        ]
        if con.type == "f" and con.ref_table:
            hz.insert(1, lock(SHARE_ROW_EXCLUSIVE, con.ref_table))
        return Safety.SAFE, tuple(hz)
    if con.type in ("u", "p"):
        return Safety.SAFE, (
            index_build(con.name, t),
            lock(ACCESS_EXCLUSIVE, t, "to attach the index"),
        )
    return Safety.REBUILD, (lock(ACCESS_EXCLUSIVE, t, "while its index is built"),)


# ---------------------------------------------------------------- the diff


def _declared(obj: object) -> str:
    loc = getattr(obj, "loc", None)
    return f"declared in {loc}" if loc else "declared"


def _column_of(dt: Table, name: str) -> object:
    """The column where it knows its own line, else its table."""
    col = dt.column(name)
    return col if col is not None and col.loc else dt


_ABSENT = "absent from the database"
_EXTRA = "in the database, declared in no schema file"


@dataclass(frozen=True, slots=True)
class Comparison:
    """What `compare` found, for the planner: the changes, the live schema they
    were found against (as it will be once the hinted renames ran, each
    definition read as declared when it is the same) and those renames. Renames
    are resolved here, once."""

    changes: list[Change]
    live: Schema
    renames: Renames


def diff(desired: Schema, live: Schema) -> list[Change]:
    """Every difference between the declared and the live schema (`compare`)."""
    return compare(desired, live).changes


def compare(desired: Schema, live: Schema) -> Comparison:
    """Every difference between the declared and the live schema, in a stable
    order: extensions, types, sequences, functions, tables (columns,
    constraints), indexes, views, materialized views, triggers, comments,
    then the objects dbinit does not manage.

    Hinted renames are matched first (`renamed_live`): the rest is compared
    against the live schema as it will be once the renames ran."""
    live, renames = renamed_live(desired, live)
    live = as_declared(desired, live)  # two printings of one definition are one
    gone = {n for n in live.tables if n not in desired.tables}
    gone_views = {n for n in live.views if n not in desired.views}
    gone_mv = {n for n in live.materialized_views if n not in desired.materialized_views}
    out: list[Change] = []
    out += _named(
        "extension",
        desired.extensions,
        live.extensions,
        _extension_changed,
        table_of=lambda e: e.name,
        stale=lambda e: _unpinned(desired, e),
        skip_extra=lambda e: _elsewhere(live, e),
    )
    for what, want, have in (
        ("collation", desired.collations, live.collations),
        ("text_search_dictionary", desired.ts_dictionaries, live.ts_dictionaries),
        ("text_search_configuration", desired.ts_configurations, live.ts_configurations),
    ):
        out += _named(what, want, have, _redefined, table_of=lambda o: o.name)
    out += _named(
        "type",
        desired.types,
        live.types,
        lambda d, lv: _type_changed(d, lv, in_use=_in_columns(live, d.name)),
        table_of=lambda t: t.name,
        stale=lambda t: (
            isinstance(t, Domain)
            and any(not k.validated and _declared_valid(desired, t.name, k.name) for k in t.checks)
        ),
    )
    out += _named(
        "sequence",
        desired.sequences,
        live.sequences,
        _sequence_changed,
        table_of=lambda s: s.name,
        skip_extra=lambda s: s.owned_by is not None and s.owned_by[0] in gone,
    )
    out += _named(
        "function",
        desired.functions,
        live.functions,
        lambda d, lv: [(Safety.SAFE, (), "definition differs")],
        table_of=lambda f: f.name,
        name_of=lambda f: f.key,
    )
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
                )
            )
        else:
            out += [_key_used(ch, desired, live) for ch in _table(dt, lt)]
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
            )
        )
    out += _named(
        "partition",
        desired.partitions,
        live.partitions,
        _partition_changed,
        table_of=lambda p: p.parent,
        skip_extra=lambda p: p.parent in gone,
    )
    out += _indexes(desired, live, gone | gone_mv)
    out += _named(
        "policy",
        desired.policies,
        live.policies,
        lambda d, lv: [(Safety.SAFE, (lock(ACCESS_EXCLUSIVE, d.table),), "definition differs")],
        table_of=lambda p: p.table,
        skip_extra=lambda p: p.table in gone,
    )
    out += _named(
        "view",
        desired.views,
        live.views,
        lambda d, lv: [(Safety.SAFE, (lock(ACCESS_EXCLUSIVE, d.name),), "definition differs")],
        table_of=lambda v: v.name,
    )
    out += _named(
        "materialized_view",
        desired.materialized_views,
        live.materialized_views,
        lambda d, lv: [
            (
                Safety.SAFE,
                (lock(ACCESS_EXCLUSIVE, d.name, "while it is built again"),),
                "definition differs",
            )
        ],
        table_of=lambda v: v.name,
    )
    out += _named(
        "trigger",
        desired.triggers,
        live.triggers,
        lambda d, lv: [(Safety.SAFE, (lock(SHARE_ROW_EXCLUSIVE, d.table),), "definition differs")],
        table_of=lambda t: t.table,
        skip_extra=lambda t: t.table in gone or t.table in gone_views,
    )
    out += _comments(desired, live)
    out += sequences_behind(desired, live)
    out += _unmanaged(desired, live)
    out += history_hooks(live)
    return Comparison(out, live, renames)


def sequences_behind(desired: Schema, live: Schema) -> list[Change]:
    """Identity and serial sequences whose next value their column already holds
    (postgres.md "Sequences"): drift, safe, fixed by moving the sequence forward.
    Only for columns the files declare (an extra table's sequence is its own)."""
    out: list[Change] = []
    for b in live.behind:
        dt = desired.tables.get(b.table)
        if dt is None or dt.column(b.column) is None:
            continue
        edge = "largest" if b.increment > 0 else "smallest"
        out.append(
            Change(
                Kind.SEQUENCE_BEHIND,
                "sequence",
                b.sequence,
                b.table,
                Safety.SAFE,
                f"sequence {b.sequence} is behind {b.table}.{b.column}: its next value is "
                f"{b.next_value}, the column's {edge} value is {b.column_edge} (rows copied in "
                "with their own ids?); the next insert that takes a value from it fails with "
                "a duplicate key. init moves it forward (setval), never back",
                column=b.column,
                before=str(b.next_value),
                after=str(b.column_edge),
            )
        )
    return out


def _declared_valid(desired: Schema, domain: str, check: str) -> bool:
    """Whether the files declare domain `domain`'s check `check` validated (not
    NOT VALID); a check the files do not declare is compared on its own."""
    d = desired.types.get(domain)
    if isinstance(d, Domain):
        for k in d.checks:
            if k.name == check:
                return k.validated
    return True


def history_hooks(live: Schema) -> list[Change]:
    """Triggers and rules on dbinit's history table: they would run inside
    dbinit's own transaction when it records a run. Drift (`validate` fails,
    extras allowed or not); no plan removes them (writing commands refuse)."""
    return [
        Change(
            Kind.TABLE_CHANGED,
            what,
            name,
            HISTORY_TABLE,
            Safety.DESTRUCTIVE,
            f"a {what} on dbinit's own history table would run inside dbinit's transaction; "
            f"drop it (DROP {what.upper()} {_qi(name)} ON {_qi(HISTORY_TABLE)})",
        )
        for what, name in live.history_hooks
    ]


def is_history_hook(c: Change) -> bool:
    return c.table == HISTORY_TABLE and c.object in ("trigger", "rule")


def _elsewhere(live: Schema, e: Extension) -> bool:
    """An extension outside the managed schema (installed by the app or its DBA):
    managed only when the files declare it; else unmanaged, never an extra."""
    return e.schema != live.schema


def _unpinned(desired: Schema, lv: Extension) -> bool:
    """A live extension at another version than the one the files pin."""
    d = desired.extensions.get(lv.name)
    return d is not None and d.pinned is not None and d.pinned != lv.version


def _extension_changed(d: Extension, lv: Extension) -> list[tuple[Safety, tuple[Hazard, ...], str]]:
    out: list[tuple[Safety, tuple[Hazard, ...], str]] = []
    if d.schema != lv.schema:
        out.append((Safety.SAFE, (), f"schema {lv.schema} → {d.schema}"))
    if d.pinned is not None and d.pinned != lv.version:
        out.append((Safety.SAFE, (), f"version {lv.version} → {d.pinned}"))
    return out


def _named(
    what: str,
    desired: dict[Any, Any],
    live: dict[Any, Any],
    changed: Callable[[Any, Any], list[tuple[Safety, tuple[Hazard, ...], str]]],
    *,
    table_of: Callable[[Any], str],
    name_of: Callable[[Any], str] = lambda o: str(o.name),
    skip_extra: Callable[[Any], bool] = lambda o: False,
    stale: Callable[[Any], bool] = lambda o: False,
) -> list[Change]:
    missing_kind = Kind(f"missing_{what}")
    extra_kind = Kind(f"extra_{what}")
    changed_kind = Kind(f"{what}_changed")
    out: list[Change] = []
    for key, d in desired.items():
        lv = live.get(key)
        if lv is None:
            out.append(
                Change(
                    missing_kind,
                    what,
                    name_of(d),
                    table_of(d),
                    Safety.SAFE,
                    f"{_declared(d)}, {_ABSENT}",
                )
            )
        elif lv != d or stale(lv):
            facets = changed(d, lv)
            out.append(
                Change(
                    changed_kind,
                    what,
                    name_of(d),
                    table_of(d),
                    worst(*(s for s, _, _ in facets)),
                    "; ".join(t for _, _, t in facets) + f" ({_declared(d)})",
                    hazards=_dedup(h for _, hz, _ in facets for h in hz),
                )
            )
    for key, lv in live.items():
        if key not in desired and not skip_extra(lv):
            hazards: tuple[Hazard, ...] = ()
            if what in ("trigger", "policy"):
                hazards = (lock(ACCESS_EXCLUSIVE, lv.table),)
            elif what == "partition":
                hazards = (lock(ACCESS_EXCLUSIVE, lv.parent), data_loss(f"every row of {lv.name}"))
            elif what == "materialized_view":
                hazards = (lock(ACCESS_EXCLUSIVE, lv.name),)
            out.append(
                Change(
                    extra_kind,
                    what,
                    name_of(lv),
                    table_of(lv),
                    Safety.DESTRUCTIVE,
                    _EXTRA,
                    hazards=hazards,
                    extra=True,
                )
            )
    return out


def _dedup(hazards: Iterable[Hazard]) -> tuple[Hazard, ...]:
    return tuple(dict.fromkeys(hazards))


def enum_additions(d: EnumType, lv: EnumType) -> list[tuple[str, str | None, str | None]]:
    """The labels to add to `lv` to make it `d`, as (label, before, after) with
    the neighbour it goes next to; empty when `lv`'s labels are not a
    subsequence of `d`'s in the same order (then values would go or move)."""
    it = iter(d.labels)
    if not all(label in it for label in lv.labels):
        return []
    out: list[tuple[str, str | None, str | None]] = []
    have = set(lv.labels)
    for i, label in enumerate(d.labels):
        if label in have:
            continue
        after = d.labels[i - 1] if i > 0 else None
        before = next((x for x in d.labels[i + 1 :] if x in have), None)
        out.append((label, before if after is None else None, after))
    return out


def _in_columns(live: Schema, name: str) -> bool:
    """Whether a live table column (or another type) holds values of type `name`."""
    return any(r[0] in ("column", "type") for r in live.dependants(("type", name)))


def _type_changed(
    d: EnumType | Domain | CompositeType,
    lv: EnumType | Domain | CompositeType,
    *,
    in_use: bool = True,
) -> list[tuple[Safety, tuple[Hazard, ...], str]]:
    if isinstance(d, EnumType) and isinstance(lv, EnumType):
        if enum_additions(d, lv):
            new = [x for x in d.labels if x not in lv.labels]
            return [(Safety.SAFE, (), f"enum values added: {', '.join(new)}")]
        gone = [x for x in lv.labels if x not in d.labels]
        if gone:
            return [
                (
                    Safety.DESTRUCTIVE,
                    (data_loss(f"rows holding {', '.join(gone)} cannot be converted"),),
                    f"enum values removed: {', '.join(gone)}",
                )
            ]
        return [(Safety.REBUILD, (), f"enum values reordered: {', '.join(d.labels)}")]
    if isinstance(d, Domain) and isinstance(lv, Domain):
        out: list[tuple[Safety, tuple[Hazard, ...], str]] = []
        if d.base_type != lv.base_type or d.collation != lv.collation:
            out.append(
                (Safety.REBUILD, (), f"base type {lv.base_type} → {d.base_type} or collation")
            )
        if d.default != lv.default:
            out.append((Safety.SAFE, (), f"default {lv.default} → {d.default}"))
        if d.notnull != lv.notnull:
            scan = Hazard("validation_scan", f"scans every column of type {d.name}")
            if d.notnull:
                out.append((Safety.REBUILD, (scan,), "NOT NULL added"))
            else:
                out.append((Safety.SAFE, (), "NOT NULL dropped"))
        if d.checks != lv.checks or any(not k.validated for k in lv.checks):
            out.append(
                (
                    Safety.SAFE,
                    (Hazard("validation_scan", f"scans every column of type {d.name}"),),
                    "checks differ",
                )
            )
        return out or [(Safety.SAFE, (), "definition differs")]
    if isinstance(d, CompositeType) and isinstance(lv, CompositeType):
        return _composite_changed(d, lv, in_use=in_use)
    return [(Safety.REBUILD, (), f"{type(lv).__name__} → {type(d).__name__}")]


def _redefined(d: Any, lv: Any) -> list[tuple[Safety, tuple[Hazard, ...], str]]:
    """A collation or text-search object defined differently: dropped and created
    again when nothing uses it (the plan refuses it otherwise)."""
    return [(Safety.SAFE, (), "definition differs: dropped and created again")]


def _composite_changed(
    d: CompositeType, lv: CompositeType, *, in_use: bool
) -> list[tuple[Safety, tuple[Hazard, ...], str]]:
    """Attributes added: safe (no table is rewritten); an attribute's type changed:
    safe while no column holds the type (PostgreSQL refuses it otherwise); dropped:
    destructive."""
    out: list[tuple[Safety, tuple[Hazard, ...], str]] = []
    gone = [a.name for a in lv.attributes if d.attribute(a.name) is None]
    added = [a.name for a in d.attributes if lv.attribute(a.name) is None]
    changed = [a.name for a in d.attributes if (la := lv.attribute(a.name)) is not None and la != a]
    if added:
        out.append((Safety.SAFE, (), f"attributes added: {', '.join(added)}"))
    if changed:
        safety = Safety.REBUILD if in_use else Safety.SAFE
        out.append((safety, (), f"attribute types changed: {', '.join(changed)}"))
    if gone:
        loss = data_loss(f"attributes {', '.join(gone)} of every value of type {d.name}")
        out.append((Safety.DESTRUCTIVE, (loss,), f"attributes dropped: {', '.join(gone)}"))
    return out or [(Safety.REBUILD, (), "attributes reordered")]


def _sequence_changed(d: Sequence, lv: Sequence) -> list[tuple[Safety, tuple[Hazard, ...], str]]:
    return [(Safety.SAFE, (lock(ACCESS_EXCLUSIVE, d.name),), "options or owner differ")]


def _partition_changed(d: Partition, lv: Partition) -> list[tuple[Safety, tuple[Hazard, ...], str]]:
    out: list[tuple[Safety, tuple[Hazard, ...], str]] = []
    if (d.parent, d.bound) != (lv.parent, lv.bound):
        out.append((Safety.REBUILD, (), f"{lv.parent} {lv.bound} → {d.parent} {d.bound}"))
    if d.partition_key != lv.partition_key:
        key = f"{lv.partition_key or 'none'} → {d.partition_key or 'none'}"
        out.append((Safety.REBUILD, (), f"partition key {key}"))
    if d.unlogged != lv.unlogged:
        out.append(
            (
                Safety.REBUILD,
                (lock(ACCESS_EXCLUSIVE, d.name), rewrite(d.name)),
                "UNLOGGED" if d.unlogged else "LOGGED",
            )
        )
    return out


def table_facets(dt: Table, lt: Table) -> list[tuple[Safety, tuple[Hazard, ...], str]]:
    """What differs in a table itself (not its columns or constraints): storage
    options, row-level security enabled or forced, UNLOGGED, the partition key."""
    t = dt.name
    out: list[tuple[Safety, tuple[Hazard, ...], str]] = []
    if dt.options != lt.options:
        out.append(
            (
                Safety.SAFE,
                (lock(SHARE_UPDATE_EXCLUSIVE, t),),
                f"options {', '.join(lt.options) or 'none'} → {', '.join(dt.options) or 'none'}",
            )
        )
    for what, want, have in (
        ("row level security", dt.row_security, lt.row_security),
        ("forced row level security", dt.force_row_security, lt.force_row_security),
    ):
        if want != have:
            state = "enabled" if want else "disabled"
            out.append((Safety.SAFE, (lock(ACCESS_EXCLUSIVE, t),), f"{what} {state}"))
    if dt.unlogged != lt.unlogged:
        out.append(
            (
                Safety.REBUILD,
                (lock(ACCESS_EXCLUSIVE, t), rewrite(t)),
                "UNLOGGED" if dt.unlogged else "LOGGED (every row is written to the WAL)",
            )
        )
    if dt.partition_key != lt.partition_key:
        key = f"{lt.partition_key or 'none'} → {dt.partition_key or 'none'}"
        out.append((Safety.REBUILD, (), f"partitioning {key}"))
    if dt.replica_identity != lt.replica_identity:
        out.append(
            (
                Safety.SAFE,
                (lock(ACCESS_EXCLUSIVE, t),),
                f"replica identity {lt.replica_identity} → {dt.replica_identity}",
            )
        )
    if dt.inherits != lt.inherits:
        parents = ", ".join(lt.inherits) or "none"
        out.append(
            (
                Safety.REBUILD,
                (),
                f"inherits from {parents} in the database (table inheritance is not managed)",
            )
        )
    return out


def _table(dt: Table, lt: Table) -> list[Change]:
    out: list[Change] = []
    t = dt.name
    own = table_facets(dt, lt)
    if own:
        out.append(
            Change(
                Kind.TABLE_CHANGED,
                "table",
                t,
                t,
                worst(*(s for s, _, _ in own)),
                "; ".join(why for _, _, why in own),
                hazards=_dedup(h for _, hz, _ in own for h in hz),
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
                )
            )
    declared = {c.name: c for c in dt.constraints if not is_internal(c.name)}
    present = {c.name: c for c in lt.constraints if not is_internal(c.name)}
    renamed = renamed_keys(dt, lt)
    for name, dcon in declared.items():
        lcon = present.get(name)
        if name in renamed:
            out.append(
                Change(
                    Kind.CONSTRAINT_CHANGED,
                    "constraint",
                    name,
                    t,
                    Safety.SAFE,
                    f"{_kind_once(dcon)}, named {renamed[name]} in the database: renamed",
                    before=renamed[name],
                    after=name,
                    hazards=(lock(ACCESS_EXCLUSIVE, t),),
                )
            )
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
                )
            )
        elif lcon != dcon:
            safety, hazards = constraint_cost(dcon, new_table=False)
            out.append(
                Change(
                    Kind.CONSTRAINT_CHANGED,
                    "constraint",
                    name,
                    t,
                    safety,
                    f"{lcon.definition} → {dcon.definition}",
                    before=lcon.definition,
                    after=dcon.definition,
                    hazards=(lock(ACCESS_EXCLUSIVE, t), *hazards),
                )
            )
        elif not lcon.validated and dcon.validated:  # declared NOT VALID: satisfied either way
            out.append(
                Change(
                    Kind.CONSTRAINT_CHANGED,
                    "constraint",
                    name,
                    t,
                    Safety.SAFE,
                    "NOT VALID in the database: validated",
                    before=f"{lcon.definition} NOT VALID",
                    after=dcon.definition,
                    hazards=(validation_scan(t, name),),
                )
            )
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
                )
            )
    return out


def foreign_keys_on(schema: Schema, key: Constraint) -> list[Constraint]:
    """The foreign keys of `schema` that reference PRIMARY KEY or UNIQUE `key` (its
    table, the same set of columns: PostgreSQL picks such a key's index for them)."""
    if key.type not in ("p", "u"):
        return []
    return [
        fk
        for fk in schema.constraints()
        if fk.type == "f" and fk.ref_table == key.table and set(fk.ref_columns) == set(key.columns)
    ]


def kept_foreign_keys(desired: Schema, live: Schema, key: Constraint) -> list[Constraint]:
    """The live foreign keys on `key` that the files declare unchanged: when `key` is
    dropped (changed), they are dropped first and added again after (they need it)."""
    out = []
    for fk in foreign_keys_on(live, key):
        dt = desired.tables.get(fk.table)
        if dt is not None and dt.constraint(fk.name) == fk:
            out.append(fk)
    return out


def _key_used(c: Change, desired: Schema, live: Schema) -> Change:
    """A PRIMARY KEY or UNIQUE changed while declared foreign keys still use it: a
    rebuild (the foreign keys are dropped and added again around it, the new key
    built in the transaction: `repair`)."""
    if c.kind is not Kind.CONSTRAINT_CHANGED:
        return c
    lt = live.tables.get(c.table)
    key = lt.constraint(c.name) if lt is not None else None
    dt = desired.tables.get(c.table)
    if key is None or dt is None or dt.constraint(c.name) is None:
        return c
    if dt.constraint(c.name) == key:  # only validated: nothing is dropped
        return c
    fks = kept_foreign_keys(desired, live, key)
    if not fks:
        return c
    names = ", ".join(f"{fk.table}.{fk.name}" for fk in fks)
    return replace(
        c,
        safety=worst(c.safety, Safety.REBUILD),
        detail=f"{c.detail}; foreign keys use it: {names} (dropped and added again around it)",
        hazards=_dedup((*c.hazards, *(lock(SHARE_ROW_EXCLUSIVE, fk.table) for fk in fks))),
    )


def renamed_keys(dt: Table, lt: Table) -> dict[str, str]:
    """A PRIMARY KEY or UNIQUE declared under another name than the live one, the
    same otherwise (columns, options): declared name → live name, renamed in
    place (`RENAME CONSTRAINT`, its index follows) rather than a second key added
    next to the first ("multiple primary keys"). Only one-to-one matches."""
    declared = {c.name for c in dt.constraints}
    present = {c.name for c in lt.constraints}
    missing = [c for c in dt.constraints if c.type in ("p", "u") and c.name not in present]
    extra = [c for c in lt.constraints if c.type in ("p", "u") and c.name not in declared]
    out: dict[str, str] = {}
    for dcon in missing:
        same = [c for c in extra if replace(c, name=dcon.name) == dcon]
        twins = [d for d in missing if replace(d, name=dcon.name) == dcon]
        if len(same) == 1 and len(twins) == 1:
            out[dcon.name] = same[0].name
    return out


def _kind_once(con: Constraint) -> str:
    """The server's definition names its kind (`CHECK (…)`): never say it twice."""
    if con.definition.upper().startswith(con.kind):
        return con.definition
    return f"{con.kind} {con.definition}"


def _indexes(desired: Schema, live: Schema, gone: set[str]) -> list[Change]:
    out: list[Change] = []
    for name, d in desired.indexes.items():
        lv = live.indexes.get(name)
        existing = d.table in live.tables or d.table in live.materialized_views
        hz = (index_build(name, d.table),) if existing else ()
        if lv is None:
            out.append(
                Change(
                    Kind.MISSING_INDEX,
                    "index",
                    name,
                    d.table,
                    Safety.SAFE,
                    f"{_declared(d)}, {_ABSENT}",
                    after=d.definition,
                    hazards=hz,
                )
            )
        elif lv != d or not lv.valid:
            why = "definition differs" if lv != d else "invalid in the database (a failed build)"
            out.append(
                Change(
                    Kind.INDEX_CHANGED,
                    "index",
                    name,
                    d.table,
                    Safety.SAFE,
                    f"{why}: built again concurrently and swapped",
                    before=lv.definition,
                    after=d.definition,
                    hazards=(*hz, lock(ACCESS_EXCLUSIVE, d.table, "to swap the index")),
                )
            )
    for name, lv in live.indexes.items():
        if name not in desired.indexes and lv.table not in gone:
            out.append(
                Change(
                    Kind.EXTRA_INDEX,
                    "index",
                    name,
                    lv.table,
                    Safety.DESTRUCTIVE,
                    _EXTRA,
                    before=lv.definition,
                    extra=True,
                )
            )
    return out


def _comments(desired: Schema, live: Schema) -> list[Change]:
    out: list[Change] = []
    for key, d in desired.comments.items():
        lv = live.comments.get(key)
        if lv is None or lv.text != d.text:
            out.append(
                _comment_change(Kind.MISSING_COMMENT if lv is None else Kind.COMMENT_CHANGED, d, lv)
            )
    for key, lv in live.comments.items():
        if key not in desired.comments:
            out.append(_comment_change(Kind.EXTRA_COMMENT, None, lv))
    return out


def _comment_change(kind: Kind, d: Comment | None, lv: Comment | None) -> Change:
    c = d or lv
    assert c is not None
    return Change(
        kind,
        "comment",
        f"{c.object_type} {c.identity}",
        c.identity,
        Safety.SAFE,
        _ABSENT if lv is None else _EXTRA if d is None else "text differs",
        before=lv.text if lv else None,
        after=d.text if d else None,
        extra=d is None,
    )


def _unmanaged(desired: Schema, live: Schema) -> list[Change]:
    seen: dict[tuple[str, str, str], str] = {}
    for u in (*live.unmanaged, *desired.unmanaged):
        seen.setdefault((u.kind, u.name, u.detail), "")
    for e in live.extensions.values():
        if e.name not in desired.extensions and _elsewhere(live, e):
            seen.setdefault(("extension", e.name, f"in schema {e.schema}"), "")
    out: list[Change] = []
    for kind, name, detail in sorted(seen):
        out.append(
            Change(
                _unmanaged_kind(kind),
                kind,
                name,
                name,
                Safety.SAFE,
                f"not managed by dbinit, never touched{f' ({detail})' if detail else ''}",
                unmanaged=True,
            )
        )
    return out


def is_unmanaged(c: Change) -> bool:
    return c.unmanaged


def _unmanaged_kind(kind: str) -> Kind:
    try:
        return Kind(f"unmanaged_{kind}")
    except ValueError:
        return Kind.UNMANAGED_OBJECT


# ---------------------------------------------------------------- rename hints


@dataclass(frozen=True, slots=True)
class Renames:
    """The renames the hints ask for and the live schema allows; names that
    follow (a constraint or index named after the old table or column, whose
    new-style name the files declare)."""

    tables: dict[str, str] = field(default_factory=dict)  # old -> new
    columns: dict[str, dict[str, str]] = field(default_factory=dict)  # new table -> old -> new
    constraints: dict[str, dict[str, str]] = field(default_factory=dict)  # new table -> old -> new
    indexes: dict[str, tuple[str, str]] = field(default_factory=dict)  # old -> (new table, new)
    sequences: dict[str, tuple[str, str]] = field(default_factory=dict)  # old -> (new table, new)

    def follow(self, table: str) -> list[tuple[str, str, str]]:
        """("constraint" | "index" | "sequence", old, new) of the names that follow
        on `table`."""
        out = [("constraint", a, b) for a, b in self.constraints.get(table, {}).items()]
        out += [("index", a, b) for a, (t, b) in self.indexes.items() if t == table]
        out += [("sequence", a, b) for a, (t, b) in self.sequences.items() if t == table]
        return out


def _renamed(dt: Table, renames: Renames) -> list[Change]:
    out: list[Change] = []
    t = dt.name
    old_table = next((a for a, b in renames.tables.items() if b == t), None)
    columns = renames.columns.get(t, {})
    follow = renames.follow(t)
    also = "; " + ", ".join(f"{k} {a} → {b}" for k, a, b in follow) if follow else ""
    if old_table is not None:
        out.append(
            Change(
                Kind.TABLE_RENAMED,
                "table",
                t,
                t,
                Safety.REBUILD,
                f"renamed from {old_table} ({_declared(dt)}); rows are kept{also}",
                before=old_table,
                after=t,
                hazards=(lock(ACCESS_EXCLUSIVE, old_table),),
            )
        )
        also = ""
    for old, new in columns.items():
        out.append(
            Change(
                Kind.COLUMN_RENAMED,
                "column",
                new,
                t,
                Safety.REBUILD,
                f"renamed from {old} ({_declared(_column_of(dt, new))}); values are kept{also}",
                column=new,
                before=old,
                after=new,
                hazards=(lock(ACCESS_EXCLUSIVE, t),),
            )
        )
        also = ""
    return out


def renamed_live(desired: Schema, live: Schema) -> tuple[Schema, Renames]:
    """`live` as it will be once the hinted renames have run, and the renames.

    A table hint applies when the new name is not live, the old one is and no
    file declares it; a column hint likewise within its table. A hint whose old
    name is gone (already renamed) is no change. PostgreSQL carries what refers
    to a renamed table or column along (constraints, indexes, foreign keys,
    triggers, comments); the definitions here are adjusted the same way. A
    constraint or index named after the old names (`users_pkey`) follows when
    the files declare the new-style name (`members_pkey`) and it is free.
    """
    tables: dict[str, str] = {}
    for dt in desired.tables.values():
        # A hint may name the table by its full name; the server kept 63 bytes of it.
        old = truncated(dt.renamed_from) if dt.renamed_from else None
        if (
            old
            and dt.name not in live.tables
            and old in live.tables
            and old not in desired.tables
            and old not in tables
        ):
            tables[old] = dt.name
    columns: dict[str, dict[str, str]] = {}
    for dt in desired.tables.values():
        inverse = {b: a for a, b in tables.items()}
        lt = live.tables.get(inverse.get(dt.name, dt.name))
        if lt is None:
            continue
        for dc in dt.columns:
            old = truncated(dc.renamed_from) if dc.renamed_from else None
            if (
                old
                and lt.column(dc.name) is None
                and lt.column(old) is not None
                and dt.column(old) is None
            ):
                columns.setdefault(dt.name, {})[old] = dc.name
    if not tables and not columns:
        return live, Renames()
    renames = Renames(tables, columns)
    return _apply(desired, live, renames), renames


_TOKENS = re.compile(r"""'(?:[^']|'')*'|"(?:[^"]|"")*"|[A-Za-z_][A-Za-z0-9_$]*""")


def _subst(text: str, names: dict[str, str]) -> str:
    """`text` (SQL the server printed) with the identifiers in `names` replaced."""
    if not names:
        return text

    def one(m: re.Match[str]) -> str:
        tok = m.group()
        if tok.startswith("'"):
            return tok
        name = tok[1:-1].replace('""', '"') if tok.startswith('"') else tok
        return _ident(names[name]) if name in names else tok

    return _TOKENS.sub(one, text)


def _apply(desired: Schema, live: Schema, r: Renames) -> Schema:
    tmap = r.tables

    def tname(name: str) -> str:
        return tmap.get(name, name)

    def cmap(table: str) -> dict[str, str]:
        return r.columns.get(tname(table), {})

    def on_table(text: str, old: str) -> str:
        """`… ON old …` (index spec, trigger definition) with the new table name."""
        if old not in tmap:
            return text
        schema = re.escape(_ident(live.schema) + ".")
        return re.sub(
            rf"(^|\s)ON ((?:{schema})?){re.escape(_ident(old))}(\s|$)",
            lambda m: f"{m.group(1)}ON {m.group(2)}{_ident(tmap[old])}{m.group(3)}",
            text,
            count=1,
        )

    def constraint(k: Constraint, table: str) -> Constraint:
        cols = cmap(table)
        definition = _subst(k.definition, cols)
        ref_table, ref_columns = k.ref_table, k.ref_columns
        if k.type == "f" and k.ref_table is not None:
            left, sep, right = k.definition.partition(" REFERENCES ")
            rcols = cmap(k.ref_table)
            m = re.match(rf"{re.escape(_ident(k.ref_table))}\(([^)]*)\)(.*)$", right, re.S)
            if sep and m:
                right = f"{_ident(tname(k.ref_table))}({_subst(m.group(1), rcols)}){m.group(2)}"
                definition = f"{_subst(left, cols)}{sep}{right}"
            ref_table = tname(k.ref_table)
            ref_columns = tuple(rcols.get(c, c) for c in k.ref_columns)
        return replace(
            k,
            table=tname(table),
            definition=definition,
            columns=tuple(cols.get(c, c) for c in k.columns),
            ref_table=ref_table,
            ref_columns=ref_columns,
        )

    tables: dict[str, Table] = {}
    for name, lt in live.tables.items():
        cols = cmap(name)
        tables[tname(name)] = replace(
            lt,
            name=tname(name),
            columns=tuple(replace(c, name=cols.get(c.name, c.name)) for c in lt.columns),
            constraints=tuple(constraint(k, name) for k in lt.constraints),
        )
    indexes = {
        k: replace(
            ix,
            table=tname(ix.table),
            spec=_subst_after_on(on_table(ix.spec, ix.table), cmap(ix.table)),
            definition=_subst_after_on(on_table(ix.definition, ix.table), cmap(ix.table)),
        )
        for k, ix in live.indexes.items()
    }
    triggers: dict[tuple[str, str], Trigger] = {}
    for tg in live.triggers.values():
        definition = _subst_after_on(on_table(tg.definition, tg.table), cmap(tg.table))
        triggers[(tname(tg.table), tg.name)] = replace(
            tg, table=tname(tg.table), definition=definition
        )
    sequences = {
        k: replace(
            s,
            owned_by=(tname(s.owned_by[0]), cmap(s.owned_by[0]).get(s.owned_by[1], s.owned_by[1])),
        )
        if s.owned_by is not None
        else s
        for k, s in live.sequences.items()
    }
    views = {k: replace(v, definition=_subst(v.definition, tmap)) for k, v in live.views.items()}
    mviews = {
        k: replace(v, definition=_subst(v.definition, tmap))
        for k, v in live.materialized_views.items()
    }
    comments = {}
    prefix = _ident(live.schema) + "."
    for (typ, identity), com in live.comments.items():
        if typ in ("table", "table column") and identity.startswith(prefix):
            parts = _TOKENS.findall(identity[len(prefix) :])
            names = [p[1:-1].replace('""', '"') if p.startswith('"') else p for p in parts]
            if names:
                table = names[0]
                renamed = [tname(table)] + [cmap(table).get(c, c) for c in names[1:]]
                identity = prefix + ".".join(_ident(n) for n in renamed)
        comments[(typ, identity)] = replace(com, identity=identity)
    # A policy's expressions and a partition's parent follow a renamed table and columns.
    policies = {
        (tname(t), n): replace(
            p,
            table=tname(t),
            using=_subst(p.using, cmap(t)) if p.using is not None else None,
            check=_subst(p.check, cmap(t)) if p.check is not None else None,
        )
        for (t, n), p in live.policies.items()
    }
    partitions = {k: replace(p, parent=tname(p.parent)) for k, p in live.partitions.items()}
    out = replace(
        live,
        tables=tables,
        indexes=indexes,
        triggers=triggers,
        sequences=sequences,
        views=views,
        materialized_views=mviews,
        comments=comments,
        policies=policies,
        partitions=partitions,
    )
    return _follow_names(desired, out, r)


def _subst_after_on(text: str, cols: dict[str, str]) -> str:
    """Column names replaced in the part of an index spec or trigger definition
    that names columns (from the table's `ON` on, and `UPDATE OF …`)."""
    if not cols:
        return text
    head, sep, rest = text.partition(" ON ")
    if " OF " in head:
        before, of, columns = head.partition(" OF ")
        head = before + of + _subst(columns, cols)
    return head + sep + _subst(rest, cols) if sep else _subst(text, cols)


def _object_name(base: str, label: str) -> str:
    """The name PostgreSQL chooses for `base`'s `label` object (`users_pkey`):
    `base` cut so that the whole fits in 63 bytes (makeObjectName)."""
    room = NAMEDATALEN - 1 - len(label.encode()) - 1
    return f"{truncated(base) if len(base.encode()) <= room else _cut(base, room)}_{label}"


def _cut(name: str, size: int) -> str:
    return name.encode()[:size].decode(errors="ignore")


def _renamed_derived(n: str, old: str, new: str) -> str:
    """`n` (a constraint or index name) with the table name it was derived from,
    `old`, replaced by `new`, also when the server cut `old` to make room."""
    if n.startswith(old + "_"):
        return _object_name(new, n[len(old) + 1 :])
    for i in range(len(n) - 1, 0, -1):  # the longest cut of `old` first: labels are short
        if n[i] == "_" and old.startswith(n[:i]) and _object_name(old, n[i + 1 :]) == n:
            return _object_name(new, n[i + 1 :])
    return n


def _follow_names(desired: Schema, live: Schema, r: Renames) -> Schema:
    old_of = {b: a for a, b in r.tables.items()}
    tables = dict(live.tables)
    indexes = dict(live.indexes)
    sequences = dict(live.sequences)
    for name, lt in live.tables.items():
        old, cols = old_of.get(name), r.columns.get(name, {})
        if old is None and not cols:
            continue

        def follows(
            n: str, name: str = name, old: str | None = old, cols: dict[str, str] = cols
        ) -> str:
            if old is not None:
                n = _renamed_derived(n, old, name)
            for a, b in cols.items():
                n = n.replace(f"_{a}_", f"_{b}_")
            return n

        dt = desired.tables.get(name)
        declared = {k.name for k in dt.constraints} if dt is not None else set()
        present = {k.name for k in lt.constraints}
        relations = set(indexes) | {k.name for t in tables.values() for k in t.constraints}
        new_cons = []
        for k in lt.constraints:
            new = follows(k.name)
            if new != k.name and new in declared and k.name not in declared and new not in present:
                r.constraints.setdefault(name, {})[k.name] = new
                present.add(new)
                k = replace(k, name=new)
            new_cons.append(k)
        tables[name] = replace(lt, constraints=tuple(new_cons))
        for key, ix in list(indexes.items()):
            if ix.table != name:
                continue
            new = follows(key)
            if (
                new != key
                and new in desired.indexes
                and key not in desired.indexes
                and new not in relations
            ):
                r.indexes[key] = (name, new)
                relations.add(new)
                del indexes[key]
                indexes[new] = replace(ix, name=new)
        # A serial column's sequence (`posts_id_seq`) follows too, and the column's
        # default with it: else a new sequence would start again at 1.
        for key, seq in list(sequences.items()):
            if seq.owned_by is None or seq.owned_by[0] != name:
                continue
            new = follows(key)
            if (
                new != key
                and new in desired.sequences
                and key not in desired.sequences
                and new not in sequences
                and new not in relations
            ):
                r.sequences[key] = (name, new)
                del sequences[key]
                sequences[new] = replace(seq, name=new)
                was, now = f"{quote_literal(_ident(key))}::regclass", quote_literal(_ident(new))
                tables[name] = replace(
                    tables[name],
                    columns=tuple(
                        replace(c, default=c.default.replace(was, now + "::regclass"))
                        if c.default
                        else c
                        for c in tables[name].columns
                    ),
                )
    return replace(live, tables=tables, indexes=indexes, sequences=sequences)
