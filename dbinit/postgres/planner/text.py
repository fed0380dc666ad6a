"""SQL text helpers the planning of several kinds shares."""

from __future__ import annotations

from dbinit.plan import Statement
from dbinit.postgres.compare.hazards import Facet

UNSUPPORTED_REASON = "dbinit cannot make this change in place; change it by hand"


_WORDS = {
    "collation": "COLLATION",
    "text_search_dictionary": "TEXT SEARCH DICTIONARY",
    "text_search_configuration": "TEXT SEARCH CONFIGURATION",
}


def staged(facets: tuple[Facet, ...], name: str) -> list[Statement]:
    """The facets' statements for the object `name` (quoted as the statements
    write it), stage by stage; within a stage, in the facets' order."""
    ordered = sorted(((stage, r) for f in facets for stage, r in f.sql), key=lambda x: x[0])
    return [s for _, render in ordered for s in render(name)]
