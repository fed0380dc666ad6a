"""Indexes (those backing a constraint are the constraint's)."""

from __future__ import annotations

from dataclasses import replace

from dbinit.changes import Change, Kind, Safety
from dbinit.postgres.compare.hazards import (
    ACCESS_EXCLUSIVE,
    SHARE_UPDATE_EXCLUSIVE,
    Facet,
    index_build,
    lock,
)
from dbinit.postgres.compare.named import _ABSENT, _EXTRA, _declared
from dbinit.postgres.model import Schema


def compare_indexes(desired: Schema, live: Schema, gone: set[str]) -> list[Change]:
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
                    facts=(d, None),
                )
            )
        elif lv.valid and lv != d and replace(lv, statistics=d.statistics) == d:
            have = ", ".join(f"{n}={t}" for n, t in lv.statistics) or "default"
            want = ", ".join(f"{n}={t}" for n, t in d.statistics) or "default"
            detail = f"statistics targets {have} → {want} (ALTER INDEX, no rebuild)"
            stats = Facet("statistics", Safety.SAFE, (lock(SHARE_UPDATE_EXCLUSIVE, name),), detail)
            out.append(
                Change(
                    Kind.INDEX_CHANGED,
                    "index",
                    name,
                    d.table,
                    Safety.SAFE,
                    detail,
                    before=have,
                    after=want,
                    hazards=stats.hazards,
                    facts=(d, lv, (stats,)),  # only set: the planner writes ALTER INDEX
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
                    facts=(d, lv),
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
