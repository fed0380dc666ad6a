"""Planning: Sequences: created, altered, owned, moved forward."""

from __future__ import annotations

from typing import TYPE_CHECKING

from dbinit.changes import Change, Kind
from dbinit.plan import Statement
from dbinit.postgres.model import Column, Sequence, SequenceOptions
from dbinit.postgres.quote import ident as qi
from dbinit.postgres.quote import literal as ql

if TYPE_CHECKING:
    from dbinit.postgres.planner.builder import _Builder


def seq_options(o: SequenceOptions, *, with_type: bool) -> str:
    parts = [f"AS {o.data_type}"] if with_type else []
    parts += [
        f"INCREMENT BY {o.increment}",
        f"MINVALUE {o.minvalue}",
        f"MAXVALUE {o.maxvalue}",
        f"START WITH {o.start}",
        f"CACHE {o.cache}",
        "CYCLE" if o.cycle else "NO CYCLE",
    ]
    return " ".join(parts)


def _sequence(self: _Builder, c: Change) -> None:
    s = self.desired.sequences[c.name]
    if c.kind is Kind.MISSING_SEQUENCE:
        sql = f"CREATE SEQUENCE {self.q(s.name)} {seq_options(s.options, with_type=True)}"
    else:
        sql = f"ALTER SEQUENCE {self.q(s.name)} {seq_options(s.options, with_type=True)}"
    self.add(
        "base",
        f"sequence {s.name}",
        [Statement(sql)],
        (c,),
        order=s.oid,
        provides=(("sequence", s.name),),
    )
    live = self.live.sequences.get(c.name)
    if live is None or live.owned_by != s.owned_by:
        self._owner(c, s)


def identity_into_range(tbl: str, dc: Column, lc: Column) -> list[Statement]:
    """A MINVALUE raised above an ascending identity's current value (a MAXVALUE
    lowered below a descending one's) is refused by the server: the sequence is
    first moved forward to the new bound (never back; a sequence not called yet
    is taken to stand at its start)."""
    new, old = dc.identity_sequence, lc.identity_sequence
    if new is None or old is None:
        return []
    up = new.increment > 0
    edge = new.minvalue if up else new.maxvalue
    if (edge <= old.minvalue) if up else (edge >= old.maxvalue):
        return []
    seq = f"pg_get_serial_sequence({ql(tbl)}, {ql(dc.name)})"
    return [
        Statement(
            f"SELECT setval(s, {edge}, false) FROM {seq} s WHERE coalesce("
            f"pg_sequence_last_value(s::regclass), {old.start}) {'<' if up else '>'} {edge}"
        )
    ]


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
