"""Planning: Functions and procedures."""

from __future__ import annotations

from typing import TYPE_CHECKING

from dbinit.changes import Change, Kind
from dbinit.plan import Statement
from dbinit.postgres.compare.hazards import Facet
from dbinit.postgres.model import Function
from dbinit.postgres.planner.text import staged

if TYPE_CHECKING:
    from dbinit.postgres.planner.builder import _Builder


def _function(self: _Builder, c: Change) -> None:
    """Created, or replaced (compare/functions.py): the old one dropped first, with
    what depends on it created again, when its facet says so."""
    f: Function = c.facts[0]
    stmts = [Statement("SET LOCAL check_function_bodies = off")]
    if c.kind is Kind.FUNCTION_CHANGED:
        lv: Function = c.facts[1]
        facets: tuple[Facet, ...] = c.facts[2]
        if any(x.dependants for x in facets):
            self._rebuild_dependants(("function", lv.key), c, dropped=True)
        stmts += staged(facets, self.q(lv.name))
    stmts.append(Statement(f.definition.strip()))
    self.add("base", f"function {f.key}", stmts, (c,), order=f.oid, provides=(("function", f.key),))
