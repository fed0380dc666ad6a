"""Planning: Views and materialized views: created, and re-created with what depends on them."""

from __future__ import annotations

from typing import TYPE_CHECKING

from dbinit.changes import Change, Kind
from dbinit.plan import Statement
from dbinit.postgres.ddl import (
    column_settings,
    index_statistics_sql,
    strip_semicolon,
    with_options,
)
from dbinit.postgres.model import View
from dbinit.postgres.planner.text import staged
from dbinit.postgres.quote import ident as qi

if TYPE_CHECKING:
    from dbinit.postgres.planner.builder import _Builder


def _dependent_views(self: _Builder, changes: list[Change]) -> None:
    """Declared views and materialized views that may read a view the plan
    drops and creates again (created after it, by oid): they are dropped and
    created again too, as part of that change (a view's dependants block
    DROP VIEW)."""
    for c in list(changes):
        if not recreates(c):
            continue
        pool = self.live.views if c.object == "view" else self.live.materialized_views
        oid = pool[c.name].oid
        for obj, live_pool, want in (
            ("view", self.live.views, self.desired.views),
            (
                "materialized_view",
                self.live.materialized_views,
                self.desired.materialized_views,
            ),
        ):
            for name, v in live_pool.items():
                if v.oid > oid and name in want and name not in self.recreated:
                    self.recreated.add(name)
                    self._recreate(obj, name, c)


def recreates(c: Change) -> bool:
    """Whether change `c` drops a view (or materialized view) and creates it again:
    its definition changed (its column defaults or settings are set in place)."""
    if c.kind not in (Kind.VIEW_CHANGED, Kind.MATERIALIZED_VIEW_CHANGED):
        return False
    return len(c.facts) < 3 or any(f.aspect == "definition" for f in c.facts[2])


def _view(self: _Builder, c: Change) -> None:
    if recreates(c):
        self._recreate(c.object, c.name, c)
    elif c.kind in (Kind.VIEW_CHANGED, Kind.MATERIALIZED_VIEW_CHANGED):
        stmts = staged(c.facts[2], self.q(c.name))
        self.add("views", f"alter {c.object} {c.name}", [s for s in stmts if not s.online], (c,))
        late = [s for s in stmts if s.online]  # CLUSTER ON an index the plan builds
        self.add("triggers", f"{c.object} {c.name} on its new index", late, (c,))
    else:
        self._create_view(c.object, c.name, c, recreated=False)


def _recreate(self: _Builder, obj: str, name: str, c: Change) -> None:
    """Drop view `name` (or materialized view) and create it again, with the
    indexes and triggers on it, as part of change `c`."""
    live = self.live.materialized_views if obj == "materialized_view" else self.live.views
    what = "MATERIALIZED VIEW" if obj == "materialized_view" else "VIEW"
    self.add(
        "drop_dependants",
        f"drop {what.lower()} {name} to create it again",
        [Statement(f"DROP {what} {self.q(name)}")],
        (c,),
        order=-live[name].oid,
    )
    self._create_view(obj, name, c, recreated=True)


def _create_view(self: _Builder, obj: str, name: str, c: Change, *, recreated: bool) -> None:
    mat = obj == "materialized_view"
    v = (self.desired.materialized_views if mat else self.desired.views)[name]
    what = "MATERIALIZED VIEW" if mat else "VIEW"
    body = strip_semicolon(v.definition)
    stmts = [Statement(f"CREATE {what} {self.q(v.name)}{with_options(v.options)} AS {body}")]
    at = f"ALTER {what} {self.q(v.name)}"
    if isinstance(v, View):
        stmts += [
            Statement(f"{at} ALTER COLUMN {qi(col)} SET DEFAULT {expr}") for col, expr in v.defaults
        ]
    else:
        for col in v.columns:  # statistics, options, storage, compression
            clauses = ", ".join(f"ALTER COLUMN {qi(col.name)} {c}" for c in column_settings(col))
            stmts.append(Statement(f"{at} {clauses}"))
        if v.clustered_on is not None:  # after its indexes (created in a later phase)
            cluster = Statement(f"{at} CLUSTER ON {qi(v.clustered_on)}")
            self.add("triggers", f"cluster {v.name} on {v.clustered_on}", [cluster], (c,))
    if recreated:
        for ix in self._indexes_on(v.name):
            unique = "UNIQUE " if ix.unique else ""
            stmts.append(Statement(f"CREATE {unique}INDEX {qi(ix.name)} {ix.spec}"))
            stmts += index_statistics_sql(self.q(ix.name), ix)
        for tg in self._triggers_on(v.name):
            stmts += self._create_trigger(tg)
    self.add(
        "views",
        f"create {what.lower()} {v.name}",
        stmts,
        (c,),
        order=v.oid,
        provides=((obj, v.name),),
    )
