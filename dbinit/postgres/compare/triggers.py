"""Triggers (those of a table or view that is dropped go with it)."""

from __future__ import annotations

from dbinit.changes import Change, Safety
from dbinit.postgres.compare.hazards import SHARE_ROW_EXCLUSIVE, lock
from dbinit.postgres.compare.named import _named
from dbinit.postgres.model import Schema


def compare_triggers(
    desired: Schema, live: Schema, gone: set[str], gone_views: set[str]
) -> list[Change]:
    """`gone`, `gone_views`: the live tables and views no schema file declares."""
    return _named(
        "trigger",
        desired.triggers,
        live.triggers,
        lambda d, lv: [(Safety.SAFE, (lock(SHARE_ROW_EXCLUSIVE, d.table),), "definition differs")],
        table_of=lambda t: t.table,
        skip_extra=lambda t: t.table in gone or t.table in gone_views,
    )
