"""SQL text helpers the planning of several kinds shares."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable

from dbinit.postgres.model import INTERNAL_PREFIX, Ref, Schema, Table
from dbinit.postgres.quote import ident as qi

_VALUE = re.compile(r"\bVALUE\b")


_QUOTED = re.compile(r"[Ee]'(?:[^'\\]|''|\\.)*'|'(?:[^']|'')*'|\"(?:[^\"]|\"\")*\"")


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


def _outside_strings(text: str, change: Callable[[str], str]) -> str:
    """`text` with `change` applied to what is not a string literal or a quoted name."""
    out, at = [], 0
    for m in _QUOTED.finditer(text):
        out += [change(text[at : m.start()]), m.group()]
        at = m.end()
    return "".join([*out, change(text[at:])])


# A CHECK as pg_get_constraintdef prints it: its expression, maybe NO INHERIT.
_CHECK = re.compile(r"CHECK (\(.*\))(?: NO INHERIT)?", re.S)


UNSUPPORTED_REASON = "dbinit cannot make this change in place; change it by hand"


def temp_name(kind: str, name: str) -> str:
    """A `_dbinit_` name for a temporary object standing for `name` (≤ 63 bytes)."""
    digest = hashlib.sha1(f"{kind}:{name}".encode()).hexdigest()[:10]
    return f"{INTERNAL_PREFIX}{kind}_{digest}"


def _strip_semicolon(definition: str) -> str:
    text = definition.strip()
    return text[:-1].rstrip() if text.endswith(";") else text


def _with(options: tuple[str, ...]) -> str:
    return f" WITH ({', '.join(options)})" if options else ""


_PLAIN = re.compile(r"^[a-z_][a-z0-9_$]*$")


def _printed(name: str) -> str:
    """A name as format_type prints it (quoted only when it must be)."""
    return name if _PLAIN.match(name) else qi(name)


_WORDS = {
    "collation": "COLLATION",
    "text_search_dictionary": "TEXT SEARCH DICTIONARY",
    "text_search_configuration": "TEXT SEARCH CONFIGURATION",
}


def _describe_ref(ref: Ref) -> str:
    """("column", "t", "c") → "column t.c"; ("index", "i") → "index i"."""
    return f"{ref[0].replace('_', ' ')} {'.'.join(ref[1:])}"
