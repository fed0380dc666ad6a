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

from dataclasses import dataclass

from dbinit.changes import Change, Kind, Safety
from dbinit.postgres.compare.comments import _comments
from dbinit.postgres.compare.constraints import _key_used
from dbinit.postgres.compare.definable import _redefined
from dbinit.postgres.compare.extensions import _elsewhere, _extension_changed, _unpinned
from dbinit.postgres.compare.functions import compare_functions
from dbinit.postgres.compare.hazards import ACCESS_EXCLUSIVE, data_loss, lock
from dbinit.postgres.compare.indexes import _indexes
from dbinit.postgres.compare.named import _ABSENT, _EXTRA, _declared, _named
from dbinit.postgres.compare.partitions import _partition_changed
from dbinit.postgres.compare.policies import compare_policies
from dbinit.postgres.compare.renames import Renames, _renamed, renamed_live
from dbinit.postgres.compare.sequences import _sequence_changed, sequences_behind
from dbinit.postgres.compare.tables import _table
from dbinit.postgres.compare.triggers import compare_triggers
from dbinit.postgres.compare.types import _declared_valid, _type_changed
from dbinit.postgres.compare.unmanaged import _unmanaged, history_hooks
from dbinit.postgres.compare.views import compare_views
from dbinit.postgres.model import Domain, Schema
from dbinit.postgres.reprint import as_declared


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
        lambda d, lv: _type_changed(d, lv, live),
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
    out += compare_functions(desired, live)
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
    out += _named(
        "partition",
        desired.partitions,
        live.partitions,
        _partition_changed,
        table_of=lambda p: p.parent,
        skip_extra=lambda p: p.parent in gone,
    )
    out += _indexes(desired, live, gone | gone_mv)
    out += compare_policies(desired, live, gone)
    out += compare_views(desired, live)
    out += compare_triggers(desired, live, gone, gone_views)
    out += _comments(desired, live)
    out += sequences_behind(desired, live)
    out += _unmanaged(desired, live)
    out += history_hooks(live)
    return Comparison(out, live, renames)
