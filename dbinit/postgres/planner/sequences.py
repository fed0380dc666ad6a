"""Planning: Sequences: created, altered, owned, moved forward."""

from __future__ import annotations

from typing import TYPE_CHECKING

from dbinit.changes import Change, Kind
from dbinit.plan import Statement
from dbinit.postgres.ddl import seq_options
from dbinit.postgres.model import Sequence
from dbinit.postgres.planner.text import staged
from dbinit.postgres.quote import ident as qi
from dbinit.postgres.quote import literal as ql

if TYPE_CHECKING:
    from dbinit.postgres.planner.builder import _Builder


def _sequence(self: _Builder, c: Change) -> None:
    """A new sequence, or the aspects of a changed one (compare/sequences.py)."""
    s = self.desired.sequences[c.name]
    missing = c.kind is Kind.MISSING_SEQUENCE
    aspects = {"options", "owner"} if missing else {f.aspect for f in c.facts[2]}
    stmts: list[Statement] = []
    if "options" in aspects:
        verb = ("CREATE UNLOGGED" if s.unlogged else "CREATE") if missing else "ALTER"
        sql = f"{verb} SEQUENCE {self.q(s.name)} {seq_options(s.options, with_type=True)}"
        stmts.append(Statement(sql))
    if not missing:
        stmts += staged(tuple(f for f in c.facts[2] if f.aspect == "unlogged"), self.q(s.name))
    self.add(
        "base",
        f"sequence {s.name}",
        stmts,
        (c,),
        order=s.oid,
        provides=(("sequence", s.name),),
    )
    if "owner" in aspects:
        self._owner(c, s)


def _sequence_forward(self: _Builder, c: Change) -> None:
    """setval to the column's largest value (smallest when it counts down), read
    when the statement runs, and only when that moves the sequence forward."""
    b = next(x for x in self.live.behind if x.sequence == c.name and x.table == c.table)
    self.add(
        "owners",
        f"move sequence {b.sequence} past {b.table}.{b.column}",
        [self._forward(b.sequence, b.table, b.column, b.increment)],
        (c,),
        order=1,
    )


def _forward(self: _Builder, sequence: str, table: str, column: str, increment: int) -> Statement:
    up = increment > 0
    col, seq = qi(column), self.q(sequence)
    return Statement(
        f"SELECT setval({ql(seq)}, m) FROM (SELECT {'max' if up else 'min'}({col}) AS m "
        f"FROM {self.q(table)}) x WHERE m {'>' if up else '<'} (SELECT CASE WHEN "
        f"is_called THEN last_value ELSE last_value - {increment} END FROM {seq})"
    )


def _owner(self: _Builder, c: Change, s: Sequence) -> None:
    if s.owned_by is None:
        if c.kind is Kind.MISSING_SEQUENCE:
            return
        owner = "NONE"
    else:
        owner = f"{self.q(s.owned_by[0])}.{qi(s.owned_by[1])}"
    stmts = [Statement(f"ALTER SEQUENCE {self.q(s.name)} OWNED BY {owner}")]
    lt = self.live.tables.get(s.owned_by[0]) if s.owned_by else None
    if s.owned_by and c.kind is Kind.MISSING_SEQUENCE and lt and lt.column(s.owned_by[1]):
        # A new sequence for a column that already holds values (`integer` made
        # `serial`): it starts past them, or the next insert collides.
        stmts.append(self._forward(s.name, *s.owned_by, s.options.increment))
    self.add("owners", f"sequence {s.name} owned by {owner}", stmts, (c,))
