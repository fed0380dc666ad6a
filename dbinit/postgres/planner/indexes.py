"""Planning: Indexes (concurrently outside the transaction where it can)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from dbinit.changes import Change, Kind
from dbinit.plan import Statement
from dbinit.postgres.ddl import temp_name
from dbinit.postgres.model import Index, Ref
from dbinit.postgres.quote import ident as qi

if TYPE_CHECKING:
    from dbinit.postgres.planner.builder import _Builder


def _on_recreated(self: _Builder, index: str) -> bool:
    ix = self.live.indexes.get(index)
    return ix is not None and ix.table in self.recreated


def _index(self: _Builder, c: Change) -> None:
    ix = self.desired.indexes[c.name]
    unique = "UNIQUE " if ix.unique else ""
    if ix.table in self.recreated:
        return  # created with its materialized view
    if ix.table in self.new_tables or ix.table not in (
        *self.live.tables,
        *self.live.materialized_views,
    ):
        sql = f"CREATE {unique}INDEX {qi(ix.name)} {ix.spec}"
        phase = "indexes" if ix.table in self.desired.tables else "view_indexes"
        made: tuple[Ref, ...] = (("index", ix.name),)
        self.add(phase, f"create index {ix.name}", [Statement(sql)], (c,), provides=made)
        return
    if self._partitioned(ix.table):
        # PostgreSQL builds a partitioned table's index on every partition, and
        # never CONCURRENTLY: in the transaction (SHARE lock while it is built).
        stmts = [Statement(f"CREATE {unique}INDEX {qi(ix.name)} {ix.spec}")]
        if c.kind is not Kind.MISSING_INDEX:
            self.add(
                "drop_dependants",
                f"drop index {ix.name} to create it again",
                [Statement(f"DROP INDEX {self.q(ix.name)}")],
                (c,),
            )
        self.add("indexes", f"create index {ix.name}", stmts, (c,), provides=(("index", ix.name),))
        return
    if c.kind is Kind.MISSING_INDEX:
        sql = f"CREATE {unique}INDEX CONCURRENTLY {qi(ix.name)} {ix.spec}"
        self.add(
            "indexes",
            f"create index {ix.name} concurrently",
            [Statement(sql, online=True)],
            (c,),
        )
        return
    tmp = temp_name("ix", ix.name)
    self.add(
        "indexes",
        f"rebuild index {ix.name} concurrently and swap",
        [
            Statement(f"CREATE {unique}INDEX CONCURRENTLY {qi(tmp)} {ix.spec}", online=True),
            Statement(f"DROP INDEX CONCURRENTLY {self.q(ix.name)}", online=True),
            Statement(f"ALTER INDEX {self.q(tmp)} RENAME TO {qi(ix.name)}", online=True),
        ],
        (c,),
    )


def _indexes_on(self: _Builder, table: str) -> list[Index]:
    return [i for i in self.desired.indexes.values() if i.table == table]
