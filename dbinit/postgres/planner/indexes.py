"""Planning: Indexes (concurrently outside the transaction where it can)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from dbinit.changes import Change, Kind
from dbinit.plan import Statement
from dbinit.postgres.ddl import index_statistics_sql, temp_name
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
    stats = index_statistics_sql(self.q(ix.name), ix)  # after it is built
    facets = c.facts[2] if c.kind is Kind.INDEX_CHANGED and len(c.facts) > 2 else ()
    if any(f.aspect == "statistics" for f in facets):  # compare/indexes.py
        lv = c.facts[1]  # only its statistics targets differ: no rebuild
        self.add(
            "indexes",
            f"statistics of index {ix.name}",
            index_statistics_sql(self.q(ix.name), ix, lv),
            (c,),
        )
        return
    if ix.table in self.new_tables or ix.table not in (
        *self.live.tables,
        *self.live.materialized_views,
    ):
        sql = f"CREATE {unique}INDEX {qi(ix.name)} {ix.spec}"
        phase = "indexes" if ix.table in self.desired.tables else "view_indexes"
        made: tuple[Ref, ...] = (("index", ix.name),)
        self.add(phase, f"create index {ix.name}", [Statement(sql), *stats], (c,), provides=made)
        return
    if self._partitioned(ix.table) or (ix.unique and self._index_uncountable(ix)):
        # PostgreSQL builds a partitioned table's index on every partition, and
        # never CONCURRENTLY: in the transaction (SHARE lock while it is built).
        # So is a unique index whose duplicates no query can count before the
        # plan runs: a duplicate rolls everything back (as for a UNIQUE).
        stmts = [Statement(f"CREATE {unique}INDEX {qi(ix.name)} {ix.spec}"), *stats]
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
            [Statement(sql, online=True), *index_statistics_sql(self.q(ix.name), ix, online=True)],
            (c,),
            prechecks=self._unique_index_precheck(ix),
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
            *index_statistics_sql(self.q(ix.name), ix, online=True),
        ],
        (c,),
        prechecks=self._unique_index_precheck(ix),
    )


def _unique_index_precheck(self: _Builder, ix: Index) -> tuple[tuple[str, str, str], ...]:
    """(label, count query, find query) for a unique index built on an existing
    table: its duplicate keys (under its predicate; a NULL key is no duplicate
    unless NULLS NOT DISTINCT), counted before anything is applied, as for a
    UNIQUE constraint. None when no query can count them before the plan runs
    (`_index_uncountable`: such an index is built in the transaction)."""
    if not ix.unique or not ix.keys or ix.table not in self.live.tables:
        return ()
    if self._index_uncountable(ix):
        return ()
    keys = ", ".join(f"({k})" for k in ix.keys)
    where = [f"({ix.predicate})"] if ix.predicate else []
    if not ix.nulls_not_distinct:
        where += [f"({k}) IS NOT NULL" for k in ix.keys]
    cond = f" WHERE {' AND '.join(where)}" if where else ""
    groups = f"FROM {self._rows(ix.table)}{cond} GROUP BY {keys} HAVING count(*) > 1"
    return (
        (
            f"UNIQUE INDEX {ix.name} on {ix.table} ({', '.join(ix.keys)})",
            f"SELECT coalesce(sum(n), 0) FROM (SELECT count(*) AS n {groups}) d",
            f"SELECT {keys} {groups} LIMIT 100",
        ),
    )


def _index_uncountable(self: _Builder, ix: Index) -> bool:
    """Whether no query can read `ix`'s keys before the plan runs: the plan adds
    or converts a column it uses, or creates or changes a function, type,
    sequence or view it uses (`Schema.depends`)."""
    for ref in self.desired.depends.get(("index", ix.name), ()):
        if ref[0] == "column" and len(ref) == 3:
            added = (Kind.MISSING_COLUMN, ref[1], ref[2]) in self.own_change
            if added or self.retyped(ref[1], ref[2]) is not None:
                return True
        elif self._planned(ref):
            return True
    return False


def _indexes_on(self: _Builder, table: str) -> list[Index]:
    return [i for i in self.desired.indexes.values() if i.table == table]
