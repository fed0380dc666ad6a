"""Triggers (those of a table or view that is dropped go with it)."""

from __future__ import annotations

from dbinit.changes import Change, Safety
from dbinit.plan import Statement
from dbinit.postgres.compare.hazards import SHARE_ROW_EXCLUSIVE, Facet, lock
from dbinit.postgres.compare.named import _named
from dbinit.postgres.model import Schema, Trigger
from dbinit.postgres.quote import ident as qi


def compare_triggers(
    desired: Schema, live: Schema, gone: set[str], gone_views: set[str]
) -> list[Change]:
    """`gone`, `gone_views`: the live tables and views no schema file declares."""
    return _named(
        "trigger",
        desired.triggers,
        live.triggers,
        _trigger_changed,
        table_of=lambda t: t.table,
        skip_extra=lambda t: t.table in gone or t.table in gone_views,
    )


# ALTER TABLE … {state} TRIGGER for each tgenabled value.
ENABLED_STATE = {"O": "ENABLE", "D": "DISABLE", "R": "ENABLE REPLICA", "A": "ENABLE ALWAYS"}


def _trigger_changed(d: Trigger, lv: Trigger) -> list[Facet]:
    """A changed definition: dropped and created again (the planner); only the
    enabled state changed: `ALTER TABLE … ENABLE/DISABLE TRIGGER`, given the
    table's quoted name."""
    hazards = (lock(SHARE_ROW_EXCLUSIVE, d.table),)
    if d.definition != lv.definition:
        return [Facet("definition", Safety.SAFE, hazards, "definition differs")]
    state = ENABLED_STATE.get(d.enabled, "ENABLE")
    return [
        Facet(
            "enabled",
            Safety.SAFE,
            hazards,
            f"state {ENABLED_STATE.get(lv.enabled, lv.enabled).lower()} → {state.lower()}",
            sql=((0, lambda tbl: [Statement(f"ALTER TABLE {tbl} {state} TRIGGER {qi(d.name)}")]),),
        )
    ]
