"""Sequences: options, and identity or serial sequences behind their column."""

from __future__ import annotations

from dbinit.changes import Change, Kind, Safety
from dbinit.plan import Statement
from dbinit.postgres.compare.hazards import ACCESS_EXCLUSIVE, Facet, lock
from dbinit.postgres.compare.named import _named
from dbinit.postgres.model import Schema, Sequence


def sequences_behind(desired: Schema, live: Schema) -> list[Change]:
    """Identity and serial sequences whose next value their column already holds
    (postgres.md "Sequences"): drift, safe, fixed by moving the sequence forward.
    Only for columns the files declare (an extra table's sequence is its own)."""
    out: list[Change] = []
    for b in live.behind:
        dt = desired.tables.get(b.table)
        dc = dt.column(b.column) if dt is not None else None
        if dc is None:
            continue
        if b.sequence not in live.sequences and dc.identity is None:
            continue  # an identity's sequence the files drop with the identity
        edge = "largest" if b.increment > 0 else "smallest"
        out.append(
            Change(
                Kind.SEQUENCE_BEHIND,
                "sequence",
                b.sequence,
                b.table,
                Safety.SAFE,
                f"sequence {b.sequence} is behind {b.table}.{b.column}: its next value is "
                f"{b.next_value}, the column's {edge} value is {b.column_edge} (rows copied in "
                "with their own ids?); the next insert that takes a value from it fails with "
                "a duplicate key. init moves it forward (setval), never back",
                column=b.column,
                before=str(b.next_value),
                after=str(b.column_edge),
            )
        )
    return out


def _logged(s: Sequence) -> str:
    return "UNLOGGED" if s.unlogged else "LOGGED"


def _sequence_changed(d: Sequence, lv: Sequence) -> list[Facet]:
    """Its options (`ALTER SEQUENCE`), its owner (`OWNED BY`, and moved past the
    column's values when it starts to own one): the planner writes both."""
    out: list[Facet] = []
    hazards = (lock(ACCESS_EXCLUSIVE, d.name),)
    if d.options != lv.options:
        out.append(Facet("options", Safety.SAFE, hazards, "options differ"))
    if d.unlogged != lv.unlogged:
        out.append(
            Facet(
                "unlogged",
                Safety.SAFE,
                hazards,
                "UNLOGGED" if d.unlogged else "LOGGED",
                sql=((0, lambda q: [Statement(f"ALTER SEQUENCE {q} SET {_logged(d)}")]),),
            )
        )
    if d.owned_by != lv.owned_by:
        owner = ".".join(d.owned_by) if d.owned_by else "none"
        was = ".".join(lv.owned_by) if lv.owned_by else "none"
        out.append(Facet("owner", Safety.SAFE, hazards, f"owned by {was} → {owner}"))
    return out


def compare_sequences(desired: Schema, live: Schema, gone: set[str]) -> list[Change]:
    """`gone`: the live tables no schema file declares (their serials go with them)."""
    return _named(
        "sequence",
        desired.sequences,
        live.sequences,
        _sequence_changed,
        table_of=lambda s: s.name,
        skip_extra=lambda s: s.owned_by is not None and s.owned_by[0] in gone,
    )
