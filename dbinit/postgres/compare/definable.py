"""Objects compared by their definition alone: collations, text-search dictionaries and
configurations."""

from __future__ import annotations

from typing import Any

from dbinit.changes import Change, Safety
from dbinit.postgres.compare.hazards import Facet
from dbinit.postgres.compare.named import _named
from dbinit.postgres.ddl import describe_ref
from dbinit.postgres.model import Schema


def compare_definable(desired: Schema, live: Schema) -> list[Change]:
    """A collation or text-search object defined differently: dropped and created
    again when nothing uses it; refused when something does (it cannot be
    redefined in place)."""
    out: list[Change] = []
    for what, want, have in (
        ("collation", desired.collations, live.collations),
        ("text_search_dictionary", desired.ts_dictionaries, live.ts_dictionaries),
        ("text_search_configuration", desired.ts_configurations, live.ts_configurations),
    ):

        def redefined(d: Any, lv: Any, what: str = what) -> list[Facet]:
            users = live.dependants((what, d.name))
            label = what.replace("_", " ").replace("text search", "text-search")
            refused = (
                f"{label} {d.name} is defined differently and {describe_ref(users[0])} "
                f"uses it: it cannot be redefined in place (declare a new {label} under "
                "another name and switch to it)"
                if users
                else ""
            )
            detail = "definition differs: dropped and created again"
            return [Facet("definition", Safety.SAFE, (), detail, refused=refused)]

        out += _named(what, want, have, redefined, table_of=lambda o: o.name)
    return out
