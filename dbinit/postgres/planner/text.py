"""SQL text helpers the planning of several kinds shares."""

from __future__ import annotations

from dbinit.postgres.model import Ref, Schema, Table
from dbinit.postgres.quote import ident as qi


def _inheritance(table: str, parents: tuple[str, ...]) -> str:
    return (
        f"{table} inherits from {', '.join(parents)} in the database, and table inheritance "
        f"is not managed (detach it: ALTER TABLE {table} NO INHERIT {parents[0]})"
        if parents
        else f"{table} would inherit from another table: table inheritance is not managed"
    )


def _has_index(table: Table, live: Schema, quoted: str) -> bool:
    names = {qi(i.name) for i in live.indexes.values() if i.table == table.name}
    names |= {qi(k.index) for k in table.constraints if k.index}
    return quoted in names


UNSUPPORTED_REASON = "dbinit cannot make this change in place; change it by hand"


_WORDS = {
    "collation": "COLLATION",
    "text_search_dictionary": "TEXT SEARCH DICTIONARY",
    "text_search_configuration": "TEXT SEARCH CONFIGURATION",
}


def _describe_ref(ref: Ref) -> str:
    """("column", "t", "c") → "column t.c"; ("index", "i") → "index i"."""
    return f"{ref[0].replace('_', ' ')} {'.'.join(ref[1:])}"
