"""Quoting for PostgreSQL: the one place identifiers and literals are written.

`ident` always quotes (what dbinit writes into the SQL it generates); `printed`
quotes only where PostgreSQL's own `quote_ident` would (what the server prints in
`pg_get_*def` text, and what `inspect` writes for people to read); `literal` is
a string constant under `standard_conforming_strings = on` (pinned on every
session: see connect.py)."""

from __future__ import annotations

import re

# Keywords PostgreSQL does not take as a bare name (pg_get_keywords(): every
# category but "unreserved"), so that names are quoted as `quote_ident` does.
_KEYWORD_TEXT = """
all analyse analyze and any array as asc asymmetric authorization between bigint binary bit
boolean both case cast char character check coalesce collate collation column concurrently
constraint create cross current_catalog current_date current_role current_schema current_time
current_timestamp current_user dec decimal default deferrable desc distinct do else end except
exists extract false fetch float for foreign freeze from full grant greatest group grouping
having ilike in initially inner inout int integer intersect interval into is isnull join lateral
leading least left like limit localtime localtimestamp national natural nchar none normalize not
notnull null nullif numeric offset on only or order out outer overlaps overlay placing position
precision primary real references returning right row select session_user setof similar smallint
some substring symmetric table tablesample then time timestamp to trailing treat trim true union
unique user using values varchar variadic verbose when where window with xmlattributes xmlconcat
xmlelement xmlexists xmlforest xmlnamespaces xmlparse xmlpi xmlroot xmlserialize xmltable
"""
_KEYWORDS = frozenset(_KEYWORD_TEXT.split())
_PLAIN = re.compile(r"[a-z_][a-z0-9_]*\Z")


def ident(name: str) -> str:
    """An identifier, always quoted."""
    return '"' + name.replace('"', '""') + '"'


def printed(name: str) -> str:
    """A name as PostgreSQL's quote_ident writes it: bare when that reads back the same."""
    if _PLAIN.match(name) and name not in _KEYWORDS:
        return name
    return ident(name)


def literal(text: str) -> str:
    """A string constant (standard_conforming_strings: only quotes are doubled)."""
    return "'" + text.replace("'", "''") + "'"
