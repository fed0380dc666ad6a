"""Partitions of a partitioned table."""

from __future__ import annotations

from dataclasses import replace

from dbinit.changes import Change, Safety
from dbinit.plan import Statement
from dbinit.postgres.compare.hazards import (
    ACCESS_EXCLUSIVE,
    SHARE_UPDATE_EXCLUSIVE,
    Facet,
    Render,
    lock,
    rewrite,
)
from dbinit.postgres.compare.named import _named
from dbinit.postgres.compare.tables import settings_facets
from dbinit.postgres.model import Partition, Schema
from dbinit.postgres.quote import ident as qi


def _partition_changed(d: Partition, lv: Partition) -> list[Facet]:
    """A partition's bound, parent, key or logging changed: not made in place
    (detaching and attaching moves rows): refused. What it holds of its own
    (`_own`) is set in place."""
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
    return [replace(f, refused=why) for f in out] + _own(d, lv)


def _alter(clause: str) -> Render:
    return lambda q: [Statement(f"ALTER TABLE {q} {clause}")]


def _own(d: Partition, lv: Partition) -> list[Facet]:
    """What a partition holds of its own, set in place (after the indexes: a
    replica identity or CLUSTER ON names one of its cloned indexes)."""
    t = d.name
    out: list[Facet] = []
    if d.options != lv.options:
        declared = {o.split("=", 1)[0] for o in d.options}
        gone = [k for o in lv.options if (k := o.split("=", 1)[0]) not in declared]
        sql: list[tuple[int, Render]] = []
        if gone:
            sql.append((0, _alter(f"RESET ({', '.join(gone)})")))
        if d.options:
            sql.append((0, _alter(f"SET ({', '.join(d.options)})")))
        out.append(
            Facet(
                "options",
                Safety.SAFE,
                (lock(SHARE_UPDATE_EXCLUSIVE, t),),
                f"options {', '.join(lv.options) or 'none'} → {', '.join(d.options) or 'none'}",
                sql=tuple(sql),
            )
        )
    for what, word, want, have in (
        ("row level security", ("DISABLE", "ENABLE"), d.row_security, lv.row_security),
        (
            "forced row level security",
            ("NO FORCE", "FORCE"),
            d.force_row_security,
            lv.force_row_security,
        ),
    ):
        if want != have:
            out.append(
                Facet(
                    "row_security",
                    Safety.SAFE,
                    (lock(ACCESS_EXCLUSIVE, t),),
                    f"{what} {'enabled' if want else 'disabled'}",
                    sql=((0, _alter(f"{word[want]} ROW LEVEL SECURITY")),),
                )
            )
    if d.replica_identity != lv.replica_identity:
        out.append(
            Facet(
                "replica_identity",
                Safety.SAFE,
                (lock(ACCESS_EXCLUSIVE, t),),
                f"replica identity {lv.replica_identity} → {d.replica_identity}",
                sql=((1, _alter(f"REPLICA IDENTITY {d.replica_identity}")),),
            )
        )
    if d.clustered_on != lv.clustered_on:
        clause = f"CLUSTER ON {qi(d.clustered_on)}" if d.clustered_on else "SET WITHOUT CLUSTER"
        out.append(
            Facet(
                "cluster",
                Safety.SAFE,
                (lock(SHARE_UPDATE_EXCLUSIVE, t),),
                f"clustered on {lv.clustered_on or 'no index'} → {d.clustered_on or 'no index'}",
                sql=((1, _alter(clause)),),
            )
        )
    return out + settings_facets(t, "TABLE", d.columns, lv.columns)


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
