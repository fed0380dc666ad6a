"""Partitions of a partitioned table."""

from __future__ import annotations

from dbinit.changes import Hazard, Safety
from dbinit.postgres.compare.hazards import ACCESS_EXCLUSIVE, lock, rewrite
from dbinit.postgres.model import Partition


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
