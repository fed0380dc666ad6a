"""Views, then materialized views."""

from __future__ import annotations

from dbinit.changes import Change, Safety
from dbinit.postgres.compare.hazards import ACCESS_EXCLUSIVE, Facet, lock
from dbinit.postgres.compare.named import _named
from dbinit.postgres.model import Schema


def compare_views(desired: Schema, live: Schema) -> list[Change]:
    out: list[Change] = []
    out += _named(
        "view",
        desired.views,
        live.views,
        lambda d, lv: [
            Facet(
                "definition", Safety.SAFE, (lock(ACCESS_EXCLUSIVE, d.name),), "definition differs"
            )
        ],
        table_of=lambda v: v.name,
    )
    out += _named(
        "materialized_view",
        desired.materialized_views,
        live.materialized_views,
        lambda d, lv: [
            Facet(
                "definition",
                Safety.SAFE,
                (lock(ACCESS_EXCLUSIVE, d.name, "while it is built again"),),
                "definition differs",
            )
        ],
        table_of=lambda v: v.name,
    )
    return out
