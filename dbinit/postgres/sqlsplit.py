"""Split PostgreSQL schema files into statements, the way psql does.

A small lexer, not a parser: it knows where a statement ends (a `;` outside
quotes, dollar quotes, comments, and the `BEGIN ATOMIC … END` body of a
`CREATE FUNCTION/PROCEDURE`, using psql's own heuristic) and reads the first few
tokens of each statement, enough to tell what it creates. PostgreSQL itself
judges everything else when the statement runs in the scratch space.

Why split rather than send each file whole: every statement gets its own
`file:line` (errors without a position, provenance of each object), a statement
can be refused before it runs (another schema, `CONCURRENTLY`, transaction
control), and PostgreSQL's error position is relative to one short statement.

Rename hints (docs/schema-files.md) are read here too, because the server never sees
comments: `-- dbinit: renamed-from=OLD` on a comment line directly above a
`CREATE TABLE` (the table's) or on the line of a column's definition inside
it (the column's). `OLD` folds like an identifier: unquoted to lower case,
`"Quoted"` exactly.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from dbinit.errors import SchemaError

_MAX_TOKENS = 24
_DOLLAR = re.compile(r"\$([A-Za-z_\u0080-\U0010ffff][A-Za-z0-9_\u0080-\U0010ffff]*)?\$")
_WORD = re.compile(r"[A-Za-z_\u0080-\U0010ffff][A-Za-z0-9_$\u0080-\U0010ffff]*")
_FUNCTION_HEADS = (("create", "function"), ("create", "procedure"))
_HINT = re.compile(r'dbinit:\s*renamed-from\s*=\s*("(?:[^"]|"")+"|[^\s"*]+)')
# Words that open a table constraint rather than a column in CREATE TABLE's body.
_NOT_COLUMNS = frozenset({"CONSTRAINT", "PRIMARY", "UNIQUE", "CHECK", "FOREIGN", "EXCLUDE", "LIKE"})


@dataclass(frozen=True, slots=True)
class Token:
    kind: str  # "word" (as written), "quoted" (a "quoted identifier", unescaped), "punct"
    text: str

    @property
    def upper(self) -> str:
        return self.text.upper() if self.kind == "word" else ""

    @property
    def name(self) -> str:
        """The identifier PostgreSQL sees: unquoted words fold to lower case."""
        return self.text.lower() if self.kind == "word" else self.text


@dataclass(frozen=True, slots=True)
class Statement:
    file: str
    line: int  # line of the statement's first token, 1-based
    sql: str  # from the first token up to (not including) the closing `;`
    tokens: tuple[Token, ...]  # the first few tokens
    renamed_from: str | None = None  # a table's rename hint (the comment line above)
    # Column rename hints of a CREATE TABLE: (column, old name, line of the hint).
    column_hints: tuple[tuple[str, str, int], ...] = ()

    @property
    def loc(self) -> str:
        return f"{self.file}:{self.line}"

    def line_at(self, position: int) -> int:
        """Line of a 1-based character position in `sql` (PostgreSQL's error position)."""
        if position <= 0:
            return self.line
        return self.line + self.sql.count("\n", 0, position - 1)


def split(file: str, text: str) -> list[Statement]:
    """The statements of one file, in order; comments and blank text dropped."""
    out: list[Statement] = []
    n = len(text)
    i = 0
    start = -1  # index of the current statement's first token
    tokens: list[Token] = []
    words: list[str] = []  # lower-case leading words, for psql's BEGIN … END rule
    depth = 0  # BEGIN … END depth inside CREATE FUNCTION/PROCEDURE
    parens = 0
    above: dict[int, str | None] = {}  # comment lines between statements: line -> hint
    body = 0  # CREATE TABLE's column list: 0 before it, 1 inside, 2 after
    expect_column = False  # the next word inside the column list starts an element
    column: str | None = None  # the column whose definition is being read
    hints: list[tuple[str, str, int]] = []

    def emit(end: int) -> None:
        sql = text[start:end].rstrip()
        line = text.count("\n", 0, start) + 1
        table_hint = _hint_above(above, line) if _is_create_table(tokens) else None
        out.append(Statement(file, line, sql, tuple(tokens), table_hint, tuple(hints)))
        above.clear()

    def element(kind: str, value: str) -> None:
        nonlocal expect_column, column
        if expect_column and parens == 1 and body == 1:
            expect_column = False
            is_column = kind == "quoted" or value.upper() not in _NOT_COLUMNS
            column = (value if kind == "quoted" else value.lower()) if is_column else None

    def add(kind: str, value: str) -> None:
        if len(tokens) < _MAX_TOKENS:
            tokens.append(Token(kind, value))

    while i < n:
        c = text[i]
        if c.isspace():
            i += 1
            continue
        if text.startswith("--", i):
            nl = text.find("\n", i)
            end = n if nl < 0 else nl
            hint = _HINT.search(text, i, end)
            old = _fold(hint.group(1)) if hint else None
            line = text.count("\n", 0, i) + 1
            if start < 0:
                above[line] = old or above.get(line)
            elif old and column is not None and body == 1:
                hints.append((column, old, line))
            i = end + 1
            continue
        if text.startswith("/*", i):
            i = _skip_block_comment(text, i)
            continue
        if start < 0:
            start, tokens, words, depth, parens = i, [], [], 0, 0
            body, expect_column, column, hints = 0, False, None, []
        if c == ";" and depth == 0:
            emit(i)
            start = -1
            i += 1
            continue
        if c == "'":
            i = _skip_string(text, i, backslashes=False)
            add("punct", "'")
            continue
        if c == '"':
            end = _skip_quoted(text, i, '"')
            add("quoted", text[i + 1 : end - 1].replace('""', '"'))
            element("quoted", text[i + 1 : end - 1].replace('""', '"'))
            i = end
            continue
        if c == "$" and (m := _DOLLAR.match(text, i)) is not None:
            close = text.find(m.group(), m.end())
            i = n if close < 0 else close + len(m.group())
            add("punct", "$")
            continue
        m = _WORD.match(text, i)
        if m is not None:
            word = m.group()
            i = m.end()
            if word in ("e", "E") and text.startswith("'", i):
                i = _skip_string(text, i, backslashes=True)
                add("punct", "'")
                continue
            add("word", word)
            element("word", word)
            lower = word.lower()
            if len(words) < 4:
                words.append(lower)
            if parens == 0 and _in_function(words):
                if lower == "begin" or (lower == "case" and depth >= 1):
                    depth += 1
                elif lower == "end" and depth > 0:
                    depth -= 1
            continue
        if c == "(":
            parens += 1
            if parens == 1 and body == 0 and _is_create_table(tokens):
                body, expect_column = 1, True
        elif c == ")":
            parens = max(0, parens - 1)
            if parens == 0 and body == 1:
                body, column = 2, None
        elif c == "," and parens == 1 and body == 1:
            expect_column = True
        add("punct", c)
        i += 1
    if start >= 0:
        emit(n)
    return out


def _is_create_table(tokens: list[Token]) -> bool:
    return [t.upper for t in tokens[:2]] == ["CREATE", "TABLE"]


def _hint_above(above: dict[int, str | None], line: int) -> str | None:
    """The rename hint in the comment lines directly above `line`, if any."""
    line -= 1
    while line in above:
        if above[line]:
            return above[line]
        line -= 1
    return None


def _fold(name: str) -> str:
    """A hint's name as PostgreSQL would read it as an identifier."""
    if name.startswith('"') and name.endswith('"') and len(name) >= 2:
        return name[1:-1].replace('""', '"')
    return name.lower()


def _in_function(words: list[str]) -> bool:
    head = tuple(w for w in words if w not in ("or", "replace"))
    return head[:2] in _FUNCTION_HEADS


def _skip_block_comment(text: str, i: int) -> int:
    """Index after a (nested) /* comment */ starting at `i`; end of text if unclosed."""
    level = 0
    n = len(text)
    while i < n:
        if text.startswith("/*", i):
            level += 1
            i += 2
        elif text.startswith("*/", i):
            level -= 1
            i += 2
            if level == 0:
                return i
        else:
            i += 1
    return n


def _skip_string(text: str, i: int, *, backslashes: bool) -> int:
    """Index after a '…' literal starting at `i` ('' doubles; E'' also \\-escapes)."""
    n = len(text)
    i += 1
    while i < n:
        c = text[i]
        if backslashes and c == "\\":
            i += 2
            continue
        if c == "'":
            if text.startswith("''", i):
                i += 2
                continue
            return i + 1
        i += 1
    return n


def _skip_quoted(text: str, i: int, quote: str) -> int:
    n = len(text)
    i += 1
    while i < n:
        if text[i] == quote:
            if text.startswith(quote * 2, i):
                i += 2
                continue
            return i + 1
        i += 1
    return n


# What a statement creates, from its head: CREATE [OR REPLACE] <kind words> …
_CREATES: tuple[tuple[tuple[str, ...], str], ...] = (
    (("TABLE",), "table"),
    (("UNLOGGED", "TABLE"), "table"),
    (("POLICY",), "policy"),
    (("UNIQUE", "INDEX"), "index"),
    (("INDEX",), "index"),
    (("RECURSIVE", "VIEW"), "view"),
    (("VIEW",), "view"),
    (("MATERIALIZED", "VIEW"), "materialized_view"),
    (("SEQUENCE",), "sequence"),
    (("TYPE",), "type"),
    (("DOMAIN",), "type"),
    (("FUNCTION",), "function"),
    (("PROCEDURE",), "function"),
    (("CONSTRAINT", "TRIGGER"), "trigger"),
    (("TRIGGER",), "trigger"),
    (("EXTENSION",), "extension"),
)
_ALTERS = frozenset(
    {"TABLE", "SEQUENCE", "TYPE", "DOMAIN", "VIEW", "MATERIALIZED", "INDEX", "FUNCTION"}
    | {"PROCEDURE", "TRIGGER"}
)


@dataclass(frozen=True, slots=True)
class Head:
    """What a statement does, as far as its first tokens tell."""

    verb: str  # "create", "alter", "comment"
    kind: str | None  # for CREATE: table, index, view, … (see _CREATES)
    name: str | None  # the created object's name (None when PostgreSQL chooses it)
    qualifier: str | None  # the schema the name is qualified with, if any
    concurrently: bool = False


def head(st: Statement) -> Head:
    """Classify a statement; anything but the allowed statements is a schema error.

    Allowed: CREATE of a managed object kind (TABLE, [UNIQUE] INDEX, [RECURSIVE |
    MATERIALIZED] VIEW, SEQUENCE, TYPE, DOMAIN, FUNCTION, PROCEDURE, [CONSTRAINT]
    TRIGGER, EXTENSION, with OR REPLACE where PostgreSQL has it), ALTER of those
    (e.g. a foreign key added after both tables exist), and COMMENT ON.
    """
    toks = st.tokens
    first = toks[0].upper if toks else ""
    if first == "COMMENT" and len(toks) > 1 and toks[1].upper == "ON":
        return Head("comment", None, None, None)
    if first == "ALTER" and len(toks) > 1 and toks[1].upper in _ALTERS:
        return Head("alter", None, None, None)
    if first == "CREATE":
        i = 1
        if [t.upper for t in toks[1:3]] == ["OR", "REPLACE"]:
            i = 3
        for words, kind in _CREATES:
            if tuple(t.upper for t in toks[i : i + len(words)]) == words:
                return _created(st, kind, i + len(words))
    raise SchemaError(
        f"{st.loc}: statement not allowed in a schema file: {_first_words(st)} "
        "(allowed: CREATE of tables, indexes, views, materialized views, sequences, "
        "types, domains, functions, procedures, triggers and extensions; ALTER of those; "
        "COMMENT ON)"
    )


def _created(st: Statement, kind: str, i: int) -> Head:
    toks = st.tokens
    concurrently = False
    if kind == "index" and i < len(toks) and toks[i].upper == "CONCURRENTLY":
        concurrently = True
        i += 1
    if [t.upper for t in toks[i : i + 3]] == ["IF", "NOT", "EXISTS"]:
        i += 3
    if i >= len(toks) or toks[i].kind == "punct" or (kind == "index" and toks[i].upper == "ON"):
        return Head("create", kind, None, None, concurrently)
    name = toks[i].name
    qualifier = None
    if i + 2 < len(toks) and toks[i + 1].text == "." and toks[i + 2].kind != "punct":
        qualifier, name = name, toks[i + 2].name
    return Head("create", kind, name, qualifier, concurrently)


def _first_words(st: Statement) -> str:
    words = st.sql.split(None, 3)[:3]
    text = " ".join(words)
    return text if len(text) <= 60 else text[:57] + "..."
