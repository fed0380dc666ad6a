"""What the planning of several kinds shares: facet statements by stage, the object an
extra change drops, words for DROP statements."""

from __future__ import annotations

from dbinit.changes import Change, Kind
from dbinit.plan import Statement
from dbinit.postgres.compare.hazards import Facet
from dbinit.postgres.model import Ref

UNSUPPORTED_REASON = "dbinit cannot make this change in place; change it by hand"


_DEFINABLE_WORDS = {
    "collation": "COLLATION",
    "text_search_dictionary": "TEXT SEARCH DICTIONARY",
    "text_search_configuration": "TEXT SEARCH CONFIGURATION",
}


def staged(facets: tuple[Facet, ...], name: str) -> list[Statement]:
    """The facets' statements for the object `name` (quoted as the statements
    write it), stage by stage; within a stage, in the facets' order."""
    ordered = sorted(((stage, r) for f in facets for stage, r in f.sql), key=lambda x: x[0])
    return [s for _, render in ordered for s in render(name)]


def _gone(c: Change) -> Ref:
    """The object an extra change drops, as the dependency facts name it (`Ref`)."""
    if c.kind in (Kind.EXTRA_TABLE, Kind.EXTRA_PARTITION):
        return ("table", c.name)
    if c.kind is Kind.EXTRA_COLUMN:
        return ("column", c.table, c.column or c.name)
    if c.kind in (Kind.EXTRA_CONSTRAINT, Kind.EXTRA_TRIGGER, Kind.EXTRA_POLICY):
        return (c.object, c.table, c.name)
    return (c.object, c.name)  # a function's name is its key
