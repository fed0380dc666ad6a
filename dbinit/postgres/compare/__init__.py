"""Pure diff of two PostgreSQL schema models into typed changes: one comparator per
object kind (`compare_<kind>`, each in its module), called in turn by `compare`.

Only desired → missing, only live → extra, both → compare the model's
fields (the server's canonical spellings). Safety is judged as if every table
had rows (postgres.md "Change classes"): `safe` changes neither rewrite a table
nor hold a long lock with the online techniques the planner uses, `rebuild`
ones do, `destructive` ones drop or narrow. Every change carries its hazards,
and a changed object its `Facet`s: each difference with its cost and the
statements that make it (or why dbinit refuses it), decided once, here; the
planner orders them. Drift that is state rather than definition is a change too:
an invalid index (a failed concurrent build) is `index_changed`, a NOT VALID
constraint is `constraint_changed`. Nothing here reads a database. dbinit's own
`_dbinit_*` objects never appear.
"""

from __future__ import annotations

from dataclasses import dataclass

from dbinit.changes import Change
from dbinit.postgres.compare.comments import compare_comments
from dbinit.postgres.compare.definable import compare_definable
from dbinit.postgres.compare.extensions import compare_extensions
from dbinit.postgres.compare.functions import compare_functions
from dbinit.postgres.compare.indexes import compare_indexes
from dbinit.postgres.compare.partitions import compare_partitions
from dbinit.postgres.compare.policies import compare_policies
from dbinit.postgres.compare.renames import Renames, renamed_live
from dbinit.postgres.compare.sequences import compare_sequences, sequences_behind
from dbinit.postgres.compare.tables import compare_tables
from dbinit.postgres.compare.triggers import compare_triggers
from dbinit.postgres.compare.types import compare_types
from dbinit.postgres.compare.unmanaged import compare_unmanaged, history_hooks
from dbinit.postgres.compare.views import compare_views
from dbinit.postgres.model import Schema
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
    out += compare_extensions(desired, live)
    out += compare_definable(desired, live)
    out += compare_types(desired, live)
    out += compare_sequences(desired, live, gone)
    out += compare_functions(desired, live)
    out += compare_tables(desired, live, renames, gone)
    out += compare_partitions(desired, live, gone)
    out += compare_indexes(desired, live, gone | gone_mv)
    out += compare_policies(desired, live, gone)
    out += compare_views(desired, live)
    out += compare_triggers(desired, live, gone, gone_views)
    out += compare_comments(desired, live)
    out += sequences_behind(desired, live)
    out += compare_unmanaged(desired, live)
    out += history_hooks(live)
    return Comparison(out, live, renames)
