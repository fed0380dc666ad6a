"""Objects compared by their definition alone: collations, text-search dictionaries and
configurations."""

from __future__ import annotations

from typing import Any

from dbinit.changes import Change, Safety
from dbinit.postgres.compare.hazards import Facet
from dbinit.postgres.compare.named import _named
from dbinit.postgres.model import Schema


def _redefined(d: Any, lv: Any) -> list[Facet]:
    """A collation or text-search object defined differently: dropped and created
    again when nothing uses it (the plan refuses it otherwise)."""
    return [Facet("definition", Safety.SAFE, (), "definition differs: dropped and created again")]


def compare_definable(desired: Schema, live: Schema) -> list[Change]:
    out: list[Change] = []
    for what, want, have in (
        ("collation", desired.collations, live.collations),
        ("text_search_dictionary", desired.ts_dictionaries, live.ts_dictionaries),
        ("text_search_configuration", desired.ts_configurations, live.ts_configurations),
    ):
        out += _named(what, want, have, _redefined, table_of=lambda o: o.name)
    return out
