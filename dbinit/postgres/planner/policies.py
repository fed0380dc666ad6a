"""Planning: Row-level security policies."""

from __future__ import annotations

from typing import TYPE_CHECKING

from dbinit.changes import Change, Kind
from dbinit.plan import Statement
from dbinit.postgres.quote import ident as qi

if TYPE_CHECKING:
    from dbinit.postgres.planner.builder import _Builder


def _policy(self: _Builder, c: Change) -> None:
    pol = self.desired.policies[(c.table, c.name)]
    if c.kind is Kind.POLICY_CHANGED:
        self.add(
            "drop_dependants",
            f"drop policy {pol.name} to create it again",
            [Statement(f"DROP POLICY {qi(pol.name)} ON {self.q(pol.table)}")],
            (c,),
        )
    self.add(
        "triggers",
        f"create policy {pol.name} on {pol.table}",
        [Statement(pol.sql(self.q(pol.table)))],
        (c,),
        order=pol.oid,
        provides=(("policy", pol.table, pol.name),),
    )
