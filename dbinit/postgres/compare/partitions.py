"""Partitions of a partitioned table."""

from __future__ import annotations

from dataclasses import replace

from dbinit.changes import Change, Safety
from dbinit.postgres.compare.hazards import ACCESS_EXCLUSIVE, Facet, lock, rewrite
from dbinit.postgres.compare.named import _named
from dbinit.postgres.model import Partition, Schema


def _partition_changed(d: Partition, lv: Partition) -> list[Facet]:
    """A partition's bound, parent, key or logging changed: not made in place
    (detaching and attaching moves rows): refused."""
    out: list[Facet] = []
    if (d.parent, d.bound) != (lv.parent, lv.bound):
        out.append(
            Facet("bound", Safety.REBUILD, (), f"{lv.parent} {lv.bound} → {d.parent} {d.bound}")
        )
    if d.partition_key != lv.partition_key:
        key = f"{lv.partition_key or 'none'} → {d.partition_key or 'none'}"
        out.append(Facet("partition_key", Safety.REBUILD, (), f"partition key {key}"))
    if d.unlogged != lv.unlogged:
        out.append(
            Facet(
                "unlogged",
                Safety.REBUILD,
                (lock(ACCESS_EXCLUSIVE, d.name), rewrite(d.name)),
                "UNLOGGED" if d.unlogged else "LOGGED",
            )
        )
    why = f"partition {d.name} changes its bound, key or logging"
    return [replace(f, refused=why) for f in out]


def compare_partitions(desired: Schema, live: Schema, gone: set[str]) -> list[Change]:
    """`gone`: the live tables no schema file declares (their partitions go with them)."""
    return _named(
        "partition",
        desired.partitions,
        live.partitions,
        _partition_changed,
        table_of=lambda p: p.parent,
        skip_extra=lambda p: p.parent in gone,
    )
