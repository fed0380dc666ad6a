"""Planning: Hinted renames of tables and columns, and the names that follow."""

from __future__ import annotations

from typing import TYPE_CHECKING

from dbinit.changes import Change, Kind
from dbinit.plan import Statement
from dbinit.postgres.quote import ident as qi

if TYPE_CHECKING:
    from dbinit.postgres.planner.builder import _Builder


def _rename(self: _Builder, c: Change) -> None:
    """ALTER TABLE … RENAME (catalog only, a brief ACCESS EXCLUSIVE lock); the
    first rename of a table also renames the constraints and indexes whose
    names follow (diff.renamed_live)."""
    assert c.before is not None and c.after is not None
    if c.kind is Kind.TABLE_RENAMED:
        sql = f"ALTER TABLE {self.q(c.before)} RENAME TO {qi(c.after)}"
        order = 0
    else:
        sql = f"ALTER TABLE {self.q(c.table)} RENAME COLUMN {qi(c.before)} TO {qi(c.after)}"
        order = 1
    what = f"rename {c.object} {c.table}.{c.before}" if c.column else f"rename table {c.before}"
    self.add("renames", f"{what} to {c.after}", [Statement(sql)], (c,), order=order)
    if c.table in self.followed:
        return
    self.followed.add(c.table)
    follow = []
    for kind, old, new in self.renames.follow(c.table):
        if kind == "constraint":
            sql = f"ALTER TABLE {self.q(c.table)} RENAME CONSTRAINT {qi(old)} TO {qi(new)}"
        elif kind == "sequence":
            sql = f"ALTER SEQUENCE {self.q(old)} RENAME TO {qi(new)}"
        else:
            sql = f"ALTER INDEX {self.q(old)} RENAME TO {qi(new)}"
        follow.append(Statement(sql))
    self.add("renames", f"names that follow {c.table}", follow, (c,), order=2)
