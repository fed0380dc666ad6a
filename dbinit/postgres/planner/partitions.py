"""Planning: Partitions: attached, detached."""

from __future__ import annotations

from typing import TYPE_CHECKING

from dbinit.changes import Change, Kind
from dbinit.plan import Statement
from dbinit.postgres.compare.hazards import refusal

if TYPE_CHECKING:
    from dbinit.postgres.planner.builder import _Builder


def _partition(self: _Builder, c: Change) -> None:
    p = self.desired.partitions[c.name]
    if c.kind is Kind.PARTITION_CHANGED:
        self.unsupported[c] = refusal(c.facts[2])  # compare/partitions.py
        return
    unlogged = "UNLOGGED " if p.unlogged else ""
    by = f" PARTITION BY {p.partition_key}" if p.partition_key else ""
    sql = f"CREATE {unlogged}TABLE {self.q(p.name)} PARTITION OF {self.q(p.parent)} {p.bound}{by}"
    self.add(
        "tables",
        f"create partition {p.name}",
        [Statement(sql)],
        (c,),
        order=p.oid,
        provides=(("table", p.name),),
    )


def _partitioned(self: _Builder, table: str) -> bool:
    """A partitioned table (no CONCURRENTLY, no NOT VALID on it)."""
    t = self.desired.tables.get(table) or self.live.tables.get(table)
    return t is not None and t.partition_key is not None
