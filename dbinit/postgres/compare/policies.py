"""Row-level security policies (those of a table that is dropped go with it)."""

from __future__ import annotations

from dbinit.changes import Change, Safety
from dbinit.postgres.compare.hazards import ACCESS_EXCLUSIVE, Facet, lock
from dbinit.postgres.compare.named import _named
from dbinit.postgres.model import Schema


def compare_policies(desired: Schema, live: Schema, gone: set[str]) -> list[Change]:
    """`gone`: the live tables no schema file declares."""
    return _named(
        "policy",
        desired.policies,
        live.policies,
        lambda d, lv: [
            Facet(
                "definition", Safety.SAFE, (lock(ACCESS_EXCLUSIVE, d.table),), "definition differs"
            )
        ],
        table_of=lambda p: p.table,
        skip_extra=lambda p: p.table in gone,
    )
