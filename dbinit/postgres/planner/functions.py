"""Planning: Functions and procedures."""

from __future__ import annotations

from typing import TYPE_CHECKING

from dbinit.changes import Change
from dbinit.plan import Statement

if TYPE_CHECKING:
    from dbinit.postgres.planner.builder import _Builder


def _function(self: _Builder, c: Change) -> None:
    f = self.desired.functions[c.name]
    stmts = [Statement("SET LOCAL check_function_bodies = off")]
    lv = self.live.functions.get(c.name) or next(
        (g for g in self.live.functions.values() if f.signature and g.signature == f.signature),
        None,
    )
    # CREATE OR REPLACE cannot change a function's kind, result type (OUT
    # parameters included) or parameter names: drop it, with what depends on it,
    # and create it all again in the same transaction.
    if lv is not None and (lv.kind != f.kind or lv.returns != f.returns or lv.key != f.key):
        self._rebuild_dependants(("function", lv.key), c, dropped=True)
        gone = " IF EXISTS" if lv.key != f.key else ""  # an extra --prune may drop first
        what = f"{lv.kind.upper()}{gone}"
        stmts.append(Statement(f"DROP {what} {self.q(lv.name)}({lv.arguments})"))
    stmts.append(Statement(f.definition.strip()))
    self.add("base", f"function {f.key}", stmts, (c,), order=f.oid, provides=(("function", f.key),))
