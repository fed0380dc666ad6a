"""Objects compared by their definition alone: collations, text-search dictionaries and
configurations."""

from __future__ import annotations

from typing import Any

from dbinit.changes import Safety
from dbinit.postgres.compare.hazards import Facet


def _redefined(d: Any, lv: Any) -> list[Facet]:
    """A collation or text-search object defined differently: dropped and created
    again when nothing uses it (the plan refuses it otherwise)."""
    return [Facet("definition", Safety.SAFE, (), "definition differs: dropped and created again")]
