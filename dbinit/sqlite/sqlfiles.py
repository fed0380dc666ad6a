"""Schema files: find them, split them into statements, reject what is not allowed.

Every error names `file:line` of the statement it is about. Table rename
hints (`-- dbinit: renamed-from=OLD` directly above a CREATE TABLE) are
captured here because SQLite does not store comments outside a statement.
This module never opens a database.
"""

from __future__ import annotations

import hashlib
import re
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from dbinit.dialect import hint_for_sqlite
from dbinit.errors import SchemaError
from dbinit.schemafiles import find, read_text, within
from dbinit.sqlite.model import SourceLoc
from dbinit.sqlite.sqltext import HINT, LexError, Token, create_head, lex, significant, unquote

ALLOWED = "CREATE TABLE, CREATE [UNIQUE] INDEX, CREATE VIEW, CREATE TRIGGER or CREATE VIRTUAL TABLE"


@dataclass(frozen=True, slots=True)
class Statement:
    kind: str  # table, virtual_table, index, view, trigger
    name: str
    sql: str
    loc: SourceLoc
    renamed_from: str | None = None


@dataclass(frozen=True, slots=True)
class SchemaFiles:
    folder: str  # as the user named it
    files: tuple[str, ...]
    statements: tuple[Statement, ...]
    checksum: str


def load(folder: Path, display: str, deadline: float | None = None) -> SchemaFiles:
    """Read `folder/**/*.sql` in lexical order of their relative paths; the
    overall time limit (`deadline`, time.monotonic) stops the load (75)."""
    digest = hashlib.sha256()
    statements: list[Statement] = []
    names: list[str] = []
    for found in find(folder, display):
        within(deadline, found.shown)
        names.append(found.shown)
        text = read_text(found, digest)
        within(deadline, found.shown)
        statements.extend(split(text, found.shown, deadline))
        del text
        within(deadline, found.shown)
    return SchemaFiles(display, tuple(names), tuple(statements), digest.hexdigest())


# What can hide a `;`: strings, quoted identifiers, comments; and the `;` itself.
_BOUNDARY = re.compile(
    r"""'(?:[^']|'')*+'|"(?:[^"]|"")*+"|`(?:[^`]|``)*+`|\[[^\]]*\]|--[^\n]*|/\*.*?\*/"""
    r"""|(?P<end>;)|(?P<bad>/\*|['"`\[])""",
    re.DOTALL,
)
_HEAD_TOKENS = 12  # CREATE UNIQUE INDEX IF NOT EXISTS main . name ON … is within this


def split(text: str, shown: str, deadline: float | None = None) -> list[Statement]:
    """Cut a file into statements (trigger bodies kept whole), checking each.

    Only the head of each statement is tokenized; SQLite parses the rest. The
    overall time limit (`deadline`) is looked at every few hundred boundaries.
    """
    out: list[Statement] = []
    lines = _Lines(text)
    start = 0
    # In a trigger body (a `;` SQLite did not accept as the end) only `; END ;`
    # can end the statement: SQLite is asked again only there, so a long body
    # is not re-read at every `;` (that was quadratic).
    in_trigger, quoted, previous = False, False, 0
    for count, m in enumerate(_BOUNDARY.finditer(text)):
        if count % 512 == 511:
            within(deadline, shown)
        if m.lastgroup == "bad":
            raise SchemaError(f"{shown}:{lines.at(m.start())}: {_unterminated(m.group())}")
        if m.lastgroup != "end":
            quoted = quoted or m.group()[0] in "'\"`["
            continue
        segment, quoted, previous = (previous, m.start(), quoted), False, m.end()
        if in_trigger and not _just_end(text, segment):
            continue
        if not sqlite3.complete_statement(text[start : m.end()]):
            in_trigger = True
            continue  # a `;` inside a trigger body
        in_trigger = False
        statement = _statement(text, start, m.start(), lines, shown)
        if statement is not None:
            out.append(statement)
        start = m.end()
    statement = _statement(text, start, len(text), lines, shown)
    if statement is not None:
        out.append(statement)
    return out


_COMMENT = re.compile(r"--[^\n]*|/\*.*?\*/", re.DOTALL)


def _just_end(text: str, segment: tuple[int, int, bool]) -> bool:
    """Whether the text between two `;` (no string or quoted name in it) is the
    keyword END, comments aside."""
    begin, end, quoted = segment
    return not quoted and _COMMENT.sub(" ", text[begin:end]).strip().upper() == "END"


def _unterminated(opening: str) -> str:
    return {
        "/*": "unterminated /* comment",
        "'": "unterminated string",
        "[": "unterminated [ identifier",
    }.get(opening, "unterminated quoted identifier")


class _Lines:
    """Line numbers of increasing offsets, counted once."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0
        self.line = 1

    def at(self, pos: int) -> int:
        if pos < self.pos:
            return self.text.count("\n", 0, pos) + 1
        self.line += self.text.count("\n", self.pos, pos)
        self.pos = pos
        return self.line


def _statement(text: str, start: int, end: int, lines: _Lines, shown: str) -> Statement | None:
    try:
        head = lex(text, start=start, end=end, limit=_HEAD_TOKENS, first_line=lines.at(start))
    except LexError as exc:  # pragma: no cover - the boundary scan saw every opening
        raise SchemaError(f"{shown}:{exc.line}: {exc}") from exc
    sig = significant(head)
    if not sig:
        return None
    first = sig[0]
    loc = SourceLoc(shown, first.line)
    kind, name, after = create_head(sig)
    if kind == "temp":
        raise SchemaError(f"{loc}: CREATE TEMP is not allowed in schema files (use {ALLOWED})")
    if kind == "schema":
        raise SchemaError(f"{loc}: objects must be created in the main schema, not another one")
    if not kind:
        words = " ".join(t.text.upper() for t in sig[:2] if t.kind == "word") or first.text
        dialect = hint_for_sqlite(text)
        raise SchemaError(f"{loc}: {words} is not allowed in schema files; only {ALLOWED}{dialect}")
    if name is None:
        raise SchemaError(f"{loc}: incomplete CREATE statement")
    if kind == "table" and after < len(sig) and sig[after].is_kw("AS"):
        raise SchemaError(
            f"{loc}: CREATE TABLE {name} AS SELECT is not allowed in schema files; "
            "declare its columns"
        )
    hint = _table_hint(head, first) if kind == "table" else None
    while end > first.start and text[end - 1].isspace():
        end -= 1  # rather than .rstrip(), which copies the statement a second time
    return Statement(kind, name, text[first.start : end], loc, hint)


def _table_hint(tokens: list[Token], create: Token) -> str | None:
    """A `-- dbinit: renamed-from=OLD` in the comment lines directly above."""
    by_line: dict[int, str | None] = {}
    for tok in tokens:
        if tok is create:
            break
        if tok.kind == "comment":
            match = HINT.search(tok.text)
            by_line[tok.line] = unquote(match.group(1)) if match else by_line.get(tok.line)
    line = create.line - 1
    while line in by_line:
        if by_line[line]:
            return by_line[line]
        line -= 1
    return None
