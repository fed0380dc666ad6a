"""Planning: Triggers."""

from __future__ import annotations

from typing import TYPE_CHECKING

from dbinit.changes import Change, Kind
from dbinit.plan import Statement
from dbinit.postgres.compare.hazards import Facet
from dbinit.postgres.compare.triggers import ENABLED_STATE
from dbinit.postgres.model import Trigger
from dbinit.postgres.quote import ident as qi

if TYPE_CHECKING:
    from dbinit.postgres.planner.builder import _Builder


def _rebuild_trigger(self: _Builder, table: str, name: str, c: Change) -> None:
    tg = self.desired.triggers.get((table, name))
    if tg is None:
        self.unsupported.setdefault(c, f"trigger {name} (not declared) depends on it")
        return
    if tg.table in self.recreated or (table, name) in self.rebuilt_triggers:
        return  # created again with its view, or already
    own = self.own_change.get((Kind.TRIGGER_CHANGED, table, name))
    if own is not None and any(f.aspect == "definition" for f in own.facts[2]):
        return  # its own change drops it and creates it again
    self.rebuilt_triggers.add((table, name))
    self.add(
        "drop_dependants",
        f"drop trigger {name} to create it again",
        [Statement(f"DROP TRIGGER {qi(name)} ON {self.q(table)}")],
        (c,),
    )
    self.add(
        "triggers",
        f"create trigger {name} on {table} again",
        self._create_trigger(tg),
        (c,),
        order=tg.oid,
        provides=(("trigger", table, name),),
    )


def _triggers_on(self: _Builder, table: str) -> list[Trigger]:
    return [t for t in self.desired.triggers.values() if t.table == table]


def _create_trigger(self: _Builder, tg: Trigger) -> list[Statement]:
    stmts = [Statement(tg.definition)]
    if tg.enabled != "O":
        state = ENABLED_STATE.get(tg.enabled, "ENABLE")
        stmts.append(Statement(f"ALTER TABLE {self.q(tg.table)} {state} TRIGGER {qi(tg.name)}"))
    return stmts


def _trigger(self: _Builder, c: Change) -> None:
    tg = self.desired.triggers[(c.table, c.name)]
    if tg.table in self.recreated or (c.table, c.name) in self.rebuilt_triggers:
        # created with its view, or again around a change of what it reads (in its
        # declared state: those changes come before the triggers' own in `compare`)
        return
    if c.kind is Kind.TRIGGER_CHANGED:
        lv: Trigger = c.facts[1]
        facets: tuple[Facet, ...] = c.facts[2]
        if all(f.aspect == "enabled" for f in facets):  # compare/triggers.py
            stmts = [s for f in facets for _, render in f.sql for s in render(self.q(tg.table))]
            what = "; ".join(f.detail for f in facets)
            self.add("triggers", f"trigger {tg.name}: {what}", stmts, (c,))
            return
        self.add(
            "drop_dependants",
            f"drop trigger {tg.name} to create it again",
            [Statement(f"DROP TRIGGER {qi(lv.name)} ON {self.q(lv.table)}")],
            (c,),
        )
    self.add(
        "triggers",
        f"create trigger {tg.name} on {tg.table}",
        self._create_trigger(tg),
        (c,),
        order=tg.oid,
        provides=(("trigger", tg.table, tg.name),),
    )
