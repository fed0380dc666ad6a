"""Extensions: version and schema."""

from __future__ import annotations

from dbinit.changes import Change, Safety
from dbinit.plan import Statement
from dbinit.postgres.compare.hazards import Facet
from dbinit.postgres.compare.named import _named
from dbinit.postgres.model import Extension, Schema
from dbinit.postgres.quote import ident as qi
from dbinit.postgres.quote import literal as ql


def _elsewhere(live: Schema, e: Extension) -> bool:
    """An extension outside the managed schema (installed by the app or its DBA):
    managed only when the files declare it; else unmanaged, never an extra."""
    return e.schema != live.schema


def _unpinned(desired: Schema, lv: Extension) -> bool:
    """A live extension at another version than the one the files pin."""
    d = desired.extensions.get(lv.name)
    return d is not None and d.pinned is not None and d.pinned != lv.version


def _extension_changed(d: Extension, lv: Extension) -> list[Facet]:
    """Moved to the declared schema, updated to the pinned version (statements
    given the extension's quoted name)."""
    out: list[Facet] = []
    if d.schema != lv.schema:
        sql = f"SET SCHEMA {qi(d.schema)}"
        out.append(
            Facet(
                "schema",
                Safety.SAFE,
                (),
                f"schema {lv.schema} → {d.schema}",
                sql=((0, lambda q: [Statement(f"ALTER EXTENSION {q} {sql}")]),),
            )
        )
    if d.pinned is not None and d.pinned != lv.version:
        update = f"UPDATE TO {ql(d.pinned)}"
        out.append(
            Facet(
                "version",
                Safety.SAFE,
                (),
                f"version {lv.version} → {d.pinned}",
                sql=((1, lambda q: [Statement(f"ALTER EXTENSION {q} {update}")]),),
            )
        )
    return out


def compare_extensions(desired: Schema, live: Schema) -> list[Change]:
    """A live extension outside the managed schema that the files do not declare
    is the app's or its DBA's: unmanaged, never an extra."""
    return _named(
        "extension",
        desired.extensions,
        live.extensions,
        _extension_changed,
        table_of=lambda e: e.name,
        stale=lambda e: _unpinned(desired, e),
        skip_extra=lambda e: _elsewhere(live, e),
    )
