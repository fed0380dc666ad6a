"""SQL text helpers the planning of several kinds shares."""

from __future__ import annotations

from dbinit.postgres.model import Ref

UNSUPPORTED_REASON = "dbinit cannot make this change in place; change it by hand"


_WORDS = {
    "collation": "COLLATION",
    "text_search_dictionary": "TEXT SEARCH DICTIONARY",
    "text_search_configuration": "TEXT SEARCH CONFIGURATION",
}


def _describe_ref(ref: Ref) -> str:
    """("column", "t", "c") → "column t.c"; ("index", "i") → "index i"."""
    return f"{ref[0].replace('_', ' ')} {'.'.join(ref[1:])}"
