"""Objects dbinit does not manage (never planned, never drift) and triggers or rules on
dbinit's own history table."""

from __future__ import annotations

from dbinit.changes import Change, Kind, Safety
from dbinit.postgres.compare.extensions import _elsewhere
from dbinit.postgres.model import HISTORY_TABLE, Schema
from dbinit.postgres.quote import ident as _qi


def history_hooks(live: Schema) -> list[Change]:
    """Triggers and rules on dbinit's history table: they would run inside
    dbinit's own transaction when it records a run. Drift (`validate` fails,
    extras allowed or not); no plan removes them (writing commands refuse)."""
    return [
        Change(
            Kind.TABLE_CHANGED,
            what,
            name,
            HISTORY_TABLE,
            Safety.DESTRUCTIVE,
            f"a {what} on dbinit's own history table would run inside dbinit's transaction; "
            f"drop it (DROP {what.upper()} {_qi(name)} ON {_qi(HISTORY_TABLE)})",
        )
        for what, name in live.history_hooks
    ]


def is_history_hook(c: Change) -> bool:
    return c.table == HISTORY_TABLE and c.object in ("trigger", "rule")


def compare_unmanaged(desired: Schema, live: Schema) -> list[Change]:
    seen: dict[tuple[str, str, str], str] = {}
    for u in (*live.unmanaged, *desired.unmanaged):
        seen.setdefault((u.kind, u.name, u.detail), "")
    for e in live.extensions.values():
        if e.name not in desired.extensions and _elsewhere(live, e):
            seen.setdefault(("extension", e.name, f"in schema {e.schema}"), "")
    out: list[Change] = []
    for kind, name, detail in sorted(seen):
        out.append(
            Change(
                _unmanaged_kind(kind),
                kind,
                name,
                name,
                Safety.SAFE,
                f"not managed by dbinit, never touched{f' ({detail})' if detail else ''}",
                unmanaged=True,
            )
        )
    return out


def is_unmanaged(c: Change) -> bool:
    return c.unmanaged


def _unmanaged_kind(kind: str) -> Kind:
    try:
        return Kind(f"unmanaged_{kind}")
    except ValueError:
        return Kind.UNMANAGED_OBJECT
