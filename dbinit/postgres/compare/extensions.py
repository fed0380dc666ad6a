"""Extensions: version and schema."""

from __future__ import annotations

from dbinit.changes import Hazard, Safety
from dbinit.postgres.model import Extension, Schema


def _elsewhere(live: Schema, e: Extension) -> bool:
    """An extension outside the managed schema (installed by the app or its DBA):
    managed only when the files declare it; else unmanaged, never an extra."""
    return e.schema != live.schema


def _unpinned(desired: Schema, lv: Extension) -> bool:
    """A live extension at another version than the one the files pin."""
    d = desired.extensions.get(lv.name)
    return d is not None and d.pinned is not None and d.pinned != lv.version


def _extension_changed(d: Extension, lv: Extension) -> list[tuple[Safety, tuple[Hazard, ...], str]]:
    out: list[tuple[Safety, tuple[Hazard, ...], str]] = []
    if d.schema != lv.schema:
        out.append((Safety.SAFE, (), f"schema {lv.schema} → {d.schema}"))
    if d.pinned is not None and d.pinned != lv.version:
        out.append((Safety.SAFE, (), f"version {lv.version} → {d.pinned}"))
    return out
