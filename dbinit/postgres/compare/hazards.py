"""What a change costs: its safety class and hazards (locks, rewrites, scans, data loss),
and `Facet`, one difference of one object with its cost and the statements that make it."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from dbinit.changes import Hazard, Safety
from dbinit.plan import Statement

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


def _waiting(level: str) -> str:
    return "reads and writes wait" if level == ACCESS_EXCLUSIVE else "writes wait"


def index_build(index: str, table: str, in_transaction: str | None = None) -> Hazard:
    """Built concurrently; or, `in_transaction`, inside the plan's transaction
    under that lock."""
    if in_transaction:
        return Hazard(
            "index_build",
            f"builds index {index} on {table} inside the transaction, under its "
            f"{in_transaction} lock ({_waiting(in_transaction)})",
        )
    return Hazard("index_build", f"builds index {index} on {table} concurrently (writes continue)")


def validation_scan(table: str, what: str, in_transaction: str | None = None) -> Hazard:
    """Validated online (VALIDATE CONSTRAINT); or, `in_transaction`, inside the
    plan's transaction under that lock."""
    if in_transaction:
        return Hazard(
            "validation_scan",
            f"scans {table} to validate {what} inside the transaction, under its "
            f"{in_transaction} lock ({_waiting(in_transaction)})",
        )
    return Hazard(
        "validation_scan",
        f"scans {table} to validate {what} under a {SHARE_UPDATE_EXCLUSIVE} lock "
        "(reads and writes continue)",
    )


def data_loss(what: str) -> Hazard:
    return Hazard("data_loss", what)


# The statements of one facet, given the object's name as they write it: the
# schema-qualified quoted name of the table (column, table, constraint and trigger
# facets), of the type, or of the function; an extension's quoted name.
Render = Callable[[str], list[Statement]]


@dataclass(frozen=True, slots=True)
class Facet:
    """One aspect of an object that differs, with what changing it costs and the
    statements that change it: `sql` as (stage, render) pairs, the planner running
    every facet's statements by stage (facets in the order they are listed within
    one); `checks` the prechecks it needs ("conversion" with its USING expression,
    "notnull", ("domain_check", name)), which read rows as the planner knows them;
    `dependants` when what depends on the object (views, triggers, …) is dropped
    before and created again after; `refused` why dbinit does not make this change
    (then it has no `sql`). A facet with neither `sql` nor `refused` is one whose
    statements the planner writes from the change's kind: creating again (views,
    policies, collations), ALTER SEQUENCE, a constraint added online or not."""

    aspect: str  # column: "type", "collation", "notnull", "default", "identity",
    # "generated", "statistics", "options", "storage", "compression"; table:
    # "row_security", "replica_identity", "unlogged", "options", "cluster", "of_type",
    # "partition_key", "inherits"; type: "label_added", "enum_rebuilt", "base_type",
    # "default", "notnull", "checks", "attributes", "kind"; constraint: "renamed",
    # "validated", "definition"; function: "definition", "replaced"; extension:
    # "schema", "version"; sequence: "options", "owner"; trigger: "definition",
    # "enabled"; partition: "bound", "partition_key", "unlogged"; others: "definition"
    safety: Safety
    hazards: tuple[Hazard, ...]
    detail: str
    sql: tuple[tuple[int, Render], ...] = ()
    checks: tuple[tuple[str, str | None], ...] = ()
    dependants: bool = False
    refused: str = ""


def _dedup(hazards: Iterable[Hazard]) -> tuple[Hazard, ...]:
    return tuple(dict.fromkeys(hazards))


def refusal(facets: Iterable[Facet]) -> str:
    """Why dbinit does not make a change: its first refused facet's reason, or ""."""
    return next((f.refused for f in facets if f.refused), "")
