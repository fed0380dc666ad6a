"""Planning: Triggers."""

from __future__ import annotations

from typing import TYPE_CHECKING

from dbinit.changes import Change, Kind
from dbinit.plan import Statement
from dbinit.postgres.model import Trigger
from dbinit.postgres.quote import ident as qi

if TYPE_CHECKING:
    from dbinit.postgres.planner.builder import _Builder


def _rebuild_trigger(self: _Builder, table: str, name: str, c: Change) -> None:
    tg = self.desired.triggers.get((table, name))
    if tg is None:
        self.unsupported.setdefault(c, f"trigger {name} (not declared) depends on it")
        return
    if tg.table in self.recreated or (Kind.TRIGGER_CHANGED, table, name) in self.own_change:
        return  # created again with its view, or by its own change
    self.own_change.add((Kind.TRIGGER_CHANGED, table, name))
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
    state = {"D": "DISABLE", "R": "ENABLE REPLICA", "A": "ENABLE ALWAYS"}.get(tg.enabled)
    if state:
        stmts.append(Statement(f"ALTER TABLE {self.q(tg.table)} {state} TRIGGER {qi(tg.name)}"))
    return stmts


def _trigger(self: _Builder, c: Change) -> None:
    tg = self.desired.triggers[(c.table, c.name)]
    if tg.table in self.recreated:
        return  # created with its view
    lv = self.live.triggers.get((c.table, c.name))
    if lv is not None:
        if lv.definition == tg.definition:  # only enabled/disabled differs
            state = {"D": "DISABLE", "R": "ENABLE REPLICA", "A": "ENABLE ALWAYS"}.get(
                tg.enabled, "ENABLE"
            )
            sql = f"ALTER TABLE {self.q(tg.table)} {state} TRIGGER {qi(tg.name)}"
            self.add("triggers", f"{state.lower()} trigger {tg.name}", [Statement(sql)], (c,))
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
