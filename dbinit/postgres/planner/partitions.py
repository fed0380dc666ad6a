"""Planning: Partitions: attached, detached."""

from __future__ import annotations

from typing import TYPE_CHECKING

from dbinit.changes import Change, Kind
from dbinit.plan import Statement
from dbinit.postgres.compare.hazards import refusal
from dbinit.postgres.ddl import column_settings_sql, with_options
from dbinit.postgres.planner.text import staged
from dbinit.postgres.quote import ident as qi

if TYPE_CHECKING:
    from dbinit.postgres.planner.builder import _Builder


def _partition(self: _Builder, c: Change) -> None:
    p = self.desired.partitions[c.name]
    if c.kind is Kind.PARTITION_CHANGED:
        refused = refusal(c.facts[2])  # compare/partitions.py
        if refused:
            self.unsupported[c] = refused
            return
        # what it holds of its own: after the indexes (its cloned ones are named)
        stmts = staged(c.facts[2], self.q(p.name))
        self.add("triggers", f"partition {p.name}", stmts, (c,), order=p.oid)
        return
    unlogged = "UNLOGGED " if p.unlogged else ""
    by = f" PARTITION BY {p.partition_key}" if p.partition_key else ""
    sql = (
        f"CREATE {unlogged}TABLE {self.q(p.name)} PARTITION OF {self.q(p.parent)} "
        f"{p.bound}{by}{with_options(p.options)}"
    )
    at = f"ALTER TABLE {self.q(p.name)}"
    stmts = [Statement(sql)]
    if p.row_security:
        stmts.append(Statement(f"{at} ENABLE ROW LEVEL SECURITY"))
    if p.force_row_security:
        stmts.append(Statement(f"{at} FORCE ROW LEVEL SECURITY"))
    for col in p.columns:  # statistics, options, storage, compression
        stmts += column_settings_sql(self.q(p.name), col)
    self.add(
        "tables",
        f"create partition {p.name}",
        stmts,
        (c,),
        order=p.oid,
        provides=(("table", p.name),),
    )
    late = []  # on its indexes, cloned from the parent's
    if p.replica_identity != "DEFAULT":
        late.append(Statement(f"{at} REPLICA IDENTITY {p.replica_identity}"))
    if p.clustered_on is not None:
        late.append(Statement(f"{at} CLUSTER ON {qi(p.clustered_on)}"))
    self.add("triggers", f"partition {p.name} on its indexes", late, (c,), order=p.oid)


def _partitioned(self: _Builder, table: str) -> bool:
    """A partitioned table (no CONCURRENTLY, no NOT VALID on it)."""
    t = self.desired.tables.get(table) or self.live.tables.get(table)
    return t is not None and t.partition_key is not None
