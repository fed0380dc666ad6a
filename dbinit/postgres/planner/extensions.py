"""Planning: Extensions."""

from __future__ import annotations

from typing import TYPE_CHECKING

from dbinit.changes import Change, Kind
from dbinit.plan import Statement
from dbinit.postgres.planner.text import staged
from dbinit.postgres.quote import ident as qi
from dbinit.postgres.quote import literal as ql

if TYPE_CHECKING:
    from dbinit.postgres.planner.builder import _Builder


def _extension(self: _Builder, c: Change) -> None:
    e = self.desired.extensions[c.name]
    stmts: list[Statement] = []
    if c.kind is Kind.MISSING_EXTENSION:
        version = f" VERSION {ql(e.pinned)}" if e.pinned is not None else ""
        if e.schema != self.s:  # its home outside the managed schema (`public`, `ext`)
            stmts.append(Statement(f"CREATE SCHEMA IF NOT EXISTS {qi(e.schema)}"))
        sql = f"CREATE EXTENSION IF NOT EXISTS {qi(e.name)} SCHEMA {qi(e.schema)}{version}"
        stmts.append(Statement(sql))
    else:
        stmts = staged(c.facts[2], qi(e.name))  # compare/extensions.py
    self.add("base", f"extension {e.name}", stmts, (c,), order=-1)
