"""The comparison every named object kind shares: only declared → missing, only live →
extra, both → the kind's own comparator (`_named`), whose `Facet`s (what differs, its
cost, and its statements or why dbinit does not make it) the change carries."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from dbinit.changes import Change, Hazard, Kind, Safety
from dbinit.postgres.compare.hazards import ACCESS_EXCLUSIVE, Facet, _dedup, data_loss, lock, worst


def _declared(obj: object) -> str:
    loc = getattr(obj, "loc", None)
    return f"declared in {loc}" if loc else "declared"


def _column_of(dt: Any, name: str) -> object:
    """The column of table `dt` where it knows its own line, else the table."""
    col = dt.column(name)
    return col if col is not None and col.loc else dt


_ABSENT = "absent from the database"


_EXTRA = "in the database, declared in no schema file"


def _named(
    what: str,
    desired: dict[Any, Any],
    live: dict[Any, Any],
    changed: Callable[[Any, Any], list[Facet]],
    *,
    table_of: Callable[[Any], str],
    name_of: Callable[[Any], str] = lambda o: str(o.name),
    skip_extra: Callable[[Any], bool] = lambda o: False,
    stale: Callable[[Any], bool] = lambda o: False,
) -> list[Change]:
    missing_kind = Kind(f"missing_{what}")
    extra_kind = Kind(f"extra_{what}")
    changed_kind = Kind(f"{what}_changed")
    out: list[Change] = []
    for key, d in desired.items():
        lv = live.get(key)
        if lv is None:
            out.append(
                Change(
                    missing_kind,
                    what,
                    name_of(d),
                    table_of(d),
                    Safety.SAFE,
                    f"{_declared(d)}, {_ABSENT}",
                    facts=(d, None),
                )
            )
        elif lv != d or stale(lv):
            facets = changed(d, lv)
            out.append(
                Change(
                    changed_kind,
                    what,
                    name_of(d),
                    table_of(d),
                    worst(*(f.safety for f in facets)),
                    "; ".join(f.detail for f in facets) + f" ({_declared(d)})",
                    hazards=_dedup(h for f in facets for h in f.hazards),
                    facts=(d, lv, tuple(facets)),  # the planner runs what they say
                )
            )
    for key, lv in live.items():
        if key not in desired and not skip_extra(lv):
            hazards: tuple[Hazard, ...] = ()
            if what in ("trigger", "policy"):
                hazards = (lock(ACCESS_EXCLUSIVE, lv.table),)
            elif what == "partition":
                hazards = (lock(ACCESS_EXCLUSIVE, lv.parent), data_loss(f"every row of {lv.name}"))
            elif what == "materialized_view":
                hazards = (lock(ACCESS_EXCLUSIVE, lv.name),)
            out.append(
                Change(
                    extra_kind,
                    what,
                    name_of(lv),
                    table_of(lv),
                    Safety.DESTRUCTIVE,
                    _EXTRA,
                    hazards=hazards,
                    extra=True,
                    facts=(None, lv),
                )
            )
    return out
