"""Conversion hints in schema files: `-- dbinit: using=EXPR` on a column's line.

A type change says how to convert the values: PostgreSQL's `ALTER COLUMN … TYPE
… USING (EXPR)`, SQLite's rebuild copying `EXPR` instead of the bare column.
The expression is everything after `using=` to the end of the comment line.

Engine-neutral and text-only: this module finds the hints in a CREATE TABLE's
text (strings, quoted names and block comments skipped) and says which column
each belongs to (the column whose definition starts on the hint's line); it
never parses the expression (the engine does, when the plan runs) and never
reads a database.
"""

from __future__ import annotations

import re

USING = re.compile(r"dbinit:.*?\busing\s*=\s*(?P<expr>\S.*?)\s*$")
_SKIP = re.compile(
    r"""'(?:[^']|'')*'|"(?:[^"]|"")*"|`(?:[^`]|``)*`|/\*.*?\*/|--(?P<comment>[^\n]*)""",
    re.DOTALL,
)
_NAME = re.compile(r'\s*,?\s*(?:"(?P<quoted>(?:[^"]|"")+)"|(?P<bare>[^\s,()"\']+))')
_NOT_COLUMNS = {"CONSTRAINT", "PRIMARY", "UNIQUE", "CHECK", "FOREIGN", "EXCLUDE", "LIKE"}


def using_hints(create_sql: str) -> dict[tuple[str, bool], str]:
    """{(column name as written, quoted?): expression} of a CREATE TABLE's text."""
    if "using" not in create_sql.lower():
        return {}
    found: dict[tuple[str, bool], str] = {}
    for m in _SKIP.finditer(create_sql):
        text = m.group("comment")
        if text is None:
            continue
        hint = USING.search(text)
        if hint is None:
            continue
        line_start = create_sql.rfind("\n", 0, m.start()) + 1
        before = create_sql[line_start : m.start()]
        if line_start == 0:  # the statement's first line: the column follows "("
            before = before.split("(", 1)[1] if "(" in before else ""
        name = _NAME.match(before)
        if name is None:
            continue
        if name.group("quoted") is not None:
            found[(name.group("quoted").replace('""', '"'), True)] = hint.group("expr")
        elif name.group("bare").upper() not in _NOT_COLUMNS:
            found[(name.group("bare"), False)] = hint.group("expr")
    return found
