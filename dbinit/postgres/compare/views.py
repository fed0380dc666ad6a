"""Views, then materialized views. A change of a view's definition creates it again
(with what depends on it); its column defaults, or a materialized view's column
settings and CLUSTER ON, are set in place."""

from __future__ import annotations

from dataclasses import replace

from dbinit.changes import Change, Safety
from dbinit.plan import Statement
from dbinit.postgres.compare.hazards import (
    ACCESS_EXCLUSIVE,
    SHARE_UPDATE_EXCLUSIVE,
    Facet,
    Render,
    lock,
)
from dbinit.postgres.compare.named import _named
from dbinit.postgres.compare.tables import settings_facets
from dbinit.postgres.model import MaterializedView, Schema, View
from dbinit.postgres.quote import ident as qi


def _alter(what: str, clause: str, *, online: bool = False) -> Render:
    return lambda q: [Statement(f"ALTER {what} {q} {clause}", online=online)]


def _view_changed(d: View, lv: View) -> list[Facet]:
    if replace(lv, defaults=d.defaults) != d:
        return [
            Facet(
                "definition", Safety.SAFE, (lock(ACCESS_EXCLUSIVE, d.name),), "definition differs"
            )
        ]
    want, have = dict(d.defaults), dict(lv.defaults)
    sql = tuple(
        (
            0,
            _alter(
                "VIEW",
                f"ALTER COLUMN {qi(col)} "
                + (f"SET DEFAULT {want[col]}" if col in want else "DROP DEFAULT"),
            ),
        )
        for col in sorted(want.keys() | have.keys())
        if want.get(col) != have.get(col)
    )
    shown = ", ".join(f"{c} {e}" for c, e in d.defaults) or "none"
    return [
        Facet(
            "defaults",
            Safety.SAFE,
            (lock(ACCESS_EXCLUSIVE, d.name),),
            f"column defaults {', '.join(f'{c} {e}' for c, e in lv.defaults) or 'none'} → {shown}",
            sql=sql,
        )
    ]


def _matview_changed(d: MaterializedView, lv: MaterializedView, live: Schema) -> list[Facet]:
    if replace(lv, columns=d.columns, clustered_on=d.clustered_on) != d:
        return [
            Facet(
                "definition",
                Safety.SAFE,
                (lock(ACCESS_EXCLUSIVE, d.name, "while it is built again"),),
                "definition differs",
            )
        ]
    out = settings_facets(d.name, "MATERIALIZED VIEW", d.columns, lv.columns)
    if d.clustered_on != lv.clustered_on:
        if d.clustered_on is None:
            cluster = _alter("MATERIALIZED VIEW", "SET WITHOUT CLUSTER")
        else:  # on an index this plan builds (concurrently, after the transaction): after it
            there = any(i.name == d.clustered_on for i in live.indexes.values())
            clause = f"CLUSTER ON {qi(d.clustered_on)}"
            cluster = _alter("MATERIALIZED VIEW", clause, online=not there)
        out.append(
            Facet(
                "cluster",
                Safety.SAFE,
                (lock(SHARE_UPDATE_EXCLUSIVE, d.name),),
                f"clustered on {lv.clustered_on or 'no index'} → {d.clustered_on or 'no index'}",
                sql=((1, cluster),),
            )
        )
    return out


def compare_views(desired: Schema, live: Schema) -> list[Change]:
    out: list[Change] = []
    out += _named("view", desired.views, live.views, _view_changed, table_of=lambda v: v.name)
    out += _named(
        "materialized_view",
        desired.materialized_views,
        live.materialized_views,
        lambda d, lv: _matview_changed(d, lv, live),
        table_of=lambda v: v.name,
    )
    return out
