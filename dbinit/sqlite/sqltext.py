"""SQL text helpers: a small SQLite lexer, normalization and identifier quoting.

SQLite parses every statement itself (see `desired.py`); this module only
needs to find statement boundaries, object names, column clauses and comments,
and to put two spellings of one definition into one canonical form. It must
not execute SQL and must not decide what a change means.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

_PUNCT = frozenset("(),.;+-*/%<>=!~|&?:^")
_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")
_BARE = re.compile(r"[A-Za-z_\x80-\U0010ffff][A-Za-z0-9_$\x80-\U0010ffff]*\Z")
HINT = re.compile(r"dbinit:\s*renamed-from\s*=\s*(\"(?:[^\"]|\"\")++\"|[^\s*]+)")


class LexError(ValueError):
    """Unterminated string, identifier or comment; `line` is where it starts."""

    def __init__(self, message: str, line: int) -> None:
        super().__init__(message)
        self.line = line


@dataclass(frozen=True, slots=True)
class Token:
    kind: str  # word, string, ident (quoted identifier), punct, comment, space
    text: str
    start: int
    end: int
    line: int

    def is_kw(self, *words: str) -> bool:
        return self.kind == "word" and self.text.upper() in words


def fold(name: str) -> str:
    """Fold an identifier the way SQLite compares names: ASCII letters only."""
    return name.translate(_ASCII_LOWER)


def quote_ident(name: str) -> str:
    """Always-quoted SQL identifier."""
    return '"' + name.replace('"', '""') + '"'


def unquote(text: str) -> str:
    if len(text) >= 2:
        first, last = text[0], text[-1]
        if first == '"' and last == '"':
            return text[1:-1].replace('""', '"')
        if first == "`" and last == "`":
            return text[1:-1].replace("``", "`")
        if first == "[" and last == "]":
            return text[1:-1]
    return text


_TOKEN = re.compile(
    r"""(?P<space>\s+)
    |(?P<comment>--[^\n]*|/\*.*?\*/)
    |(?P<bad_comment>/\*)
    |(?P<string>'(?:[^']|'')*+')
    |(?P<ident>"(?:[^"]|"")*+"|`(?:[^`]|``)*+`|\[[^\]]*\])
    |(?P<punct>[(),.;+\-*/%<>=!~|&?:^])
    |(?P<word>[^\s(),.;+\-*/%<>=!~|&?:^'"`\[]+)
    |(?P<bad>['"`\[])""",
    re.VERBOSE | re.DOTALL,
)
_UNTERMINATED = {
    "/*": "unterminated /* comment",
    "'": "unterminated string",
    '"': "unterminated quoted identifier",
    "`": "unterminated quoted identifier",
    "[": "unterminated [ identifier",
}


def lex(
    sql: str,
    *,
    first_line: int = 1,
    start: int = 0,
    end: int | None = None,
    limit: int | None = None,
    spaces: bool = False,
) -> list[Token]:
    """Split SQL into tokens with line numbers; comments are kept, white space
    only when `spaces` is true (to rebuild text).

    `start`/`end` lex a slice in place (offsets stay those of `sql`); `limit`
    stops after that many significant tokens (enough to read a statement's head).
    """
    tokens: list[Token] = []
    line = first_line
    seen = 0
    for m in _TOKEN.finditer(sql, start, len(sql) if end is None else end):
        kind = m.lastgroup or "word"
        text = m.group()
        if kind == "space":
            if spaces:
                tokens.append(Token(kind, text, m.start(), m.end(), line))
            line += text.count("\n")
            continue
        if kind in ("bad", "bad_comment"):
            raise LexError(_UNTERMINATED[text], line)
        tokens.append(Token(kind, text, m.start(), m.end(), line))
        if kind in ("comment", "string", "ident"):
            line += text.count("\n")
        elif limit is not None:
            seen += 1
            if seen >= limit:
                break
    return tokens


def significant(tokens: list[Token]) -> list[Token]:
    return [t for t in tokens if t.kind not in ("space", "comment")]


def _canon(tok: Token) -> str:
    if tok.kind == "word":
        return fold(tok.text)
    if tok.kind == "ident":
        name = fold(unquote(tok.text))
        return name if _BARE.match(name) else quote_ident(name)
    return tok.text


@functools.lru_cache(maxsize=16384)
def normalize(sql: str) -> str:
    """Canonical text of an expression or statement: no comments or layout,
    identifiers unquoted and folded, keywords in one case, literals kept."""
    return " ".join(_canon(t) for t in _tokens(sql))


def _tokens(text: str) -> list[Token]:
    """Significant tokens of text SQLite has already accepted; a fragment the
    lexer cannot close (a declared type like `"'"` unquoted) is kept as one word."""
    try:
        return significant(lex(text))
    except LexError:
        return [Token("word", " ".join(text.split()), 0, len(text), 1)]


@functools.lru_cache(maxsize=4096)
def normalize_expr(sql: str | None) -> str | None:
    """`normalize`, with redundant outer parentheses removed (`(0)` equals `0`)."""
    if sql is None:
        return None
    toks = _tokens(sql)
    while len(toks) >= 2 and toks[0].text == "(" and toks[-1].text == ")":
        if matching_paren(toks, 0) != len(toks) - 1:
            break
        toks = toks[1:-1]
    return " ".join(_canon(t) for t in toks)


def readable(sql: str, *, bare: bool = False) -> str:
    """SQL as its author wrote it, for messages: comments dropped, runs of white
    space made one space (never inside literals); `bare` drops redundant outer
    parentheses."""
    try:
        tokens = lex(sql, spaces=True)
    except LexError:
        return " ".join(sql.split())
    sig = [i for i, t in enumerate(tokens) if t.kind not in ("space", "comment")]
    if bare:
        toks = [tokens[i] for i in sig]
        while len(toks) >= 2 and toks[0].text == "(" and matching_paren(toks, 0) == len(toks) - 1:
            toks = toks[1:-1]
        if toks:
            first, last = tokens.index(toks[0]), tokens.index(toks[-1])
            sig = [i for i in sig if first <= i <= last]
    if not sig:
        return ""
    out: list[str] = []
    for tok in tokens[sig[0] : sig[-1] + 1]:
        if tok.kind in ("space", "comment"):
            if out and out[-1] != " ":
                out.append(" ")
        else:
            out.append(tok.text)
    return "".join(out)


def clause_expr(definition: str, keyword: str) -> str | None:
    """The parenthesized expression after `keyword` at the top level of a column
    definition (`AS` of a generated column), as written; None when absent."""
    try:
        toks = significant(lex(definition))
    except LexError:
        return None
    depth = 0
    for i, tok in enumerate(toks):
        if tok.text in "()":
            depth += 1 if tok.text == "(" else -1
        elif depth == 0 and tok.is_kw(keyword) and i + 1 < len(toks) and toks[i + 1].text == "(":
            close = matching_paren(toks, i + 1)
            return readable(definition[toks[i + 1].start : toks[close].end], bare=True)
    return None


def readable_default(sql: str) -> str:
    """A DEFAULT as written, in parentheses unless it is a literal or a signed number."""
    text = readable(sql, bare=True)
    toks = _tokens(text)
    if toks and toks[0].text in "+-":
        toks = toks[1:]
    simple = len(toks) <= 1 or (len(toks) == 2 and toks[0].is_kw("X"))
    return text if simple else f"({text})"


@functools.lru_cache(maxsize=1024)
def normalize_type(declared: str) -> str:
    return " ".join(_canon(t) for t in _tokens(declared)).upper()


def matching_paren(tokens: list[Token], open_index: int) -> int:
    depth = 0
    for i in range(open_index, len(tokens)):
        if tokens[i].text == "(":
            depth += 1
        elif tokens[i].text == ")":
            depth -= 1
            if depth == 0:
                return i
    return len(tokens) - 1


def is_constant_default(expr: str | None) -> bool:
    """Whether `ALTER TABLE ADD COLUMN` accepts this DEFAULT on a table with rows
    (SQLite evaluates it once: literals, signed numbers, CAST of a literal)."""
    if expr is None:
        return True
    toks = _tokens(expr)
    while len(toks) >= 2 and toks[0].text == "(" and matching_paren(toks, 0) == len(toks) - 1:
        toks = toks[1:-1]
    if toks and toks[0].text in "+-":
        toks = toks[1:]
    if len(toks) == 1:
        t = toks[0]
        if t.kind == "string":
            return True
        if t.kind == "word":
            up = t.text.upper()
            if up in ("NULL", "TRUE", "FALSE"):
                return True
            return bool(re.fullmatch(r"(\d+(\.\d*)?|\.\d+)(E[+-]?\d+)?|0X[0-9A-F]+", up))
    if len(toks) == 2 and toks[0].is_kw("X") and toks[1].kind == "string":
        return True
    if toks and toks[0].is_kw("CAST") and len(toks) >= 6:
        inner = toks[2 : matching_paren(toks, 1)]
        as_at = next((i for i, t in enumerate(inner) if t.is_kw("AS")), -1)
        if as_at > 0:
            return is_constant_default(" ".join(t.text for t in inner[:as_at]))
    return False


def is_null_default(expr: str | None) -> bool:
    """Whether a DEFAULT gives NULL: `NULL`, `(NULL)`, `+NULL`, `CAST(NULL AS T)`.
    An explicit NULL default is no default for a NOT NULL column (SQLite refuses
    to ADD such a column to a table with rows)."""
    if expr is None:
        return True
    toks = _tokens(expr)
    while toks:
        if len(toks) >= 2 and toks[0].text == "(" and matching_paren(toks, 0) == len(toks) - 1:
            toks = toks[1:-1]
        elif toks[0].text in ("+", "-"):
            toks = toks[1:]
        elif (
            toks[0].is_kw("CAST")
            and len(toks) >= 6
            and toks[1].text == "("
            and matching_paren(toks, 1) == len(toks) - 1
        ):
            inner = toks[2:-1]
            as_at = max((i for i, t in enumerate(inner) if t.is_kw("AS")), default=0)
            toks = inner[:as_at]
        else:
            break
    return len(toks) == 1 and toks[0].is_kw("NULL")


@dataclass(frozen=True, slots=True)
class ColumnClause:
    """One column definition inside a CREATE TABLE body, as written."""

    name: str
    line: int  # line of the column name within the statement
    text: str  # the definition, comments removed
    collate: str | None
    generated: str | None  # normalized expression of GENERATED ALWAYS AS (...)
    references: bool
    hint: str | None  # dbinit: renamed-from=OLD on the column's line


_CONSTRAINT_START = ("CONSTRAINT", "PRIMARY", "UNIQUE", "CHECK", "FOREIGN")


def table_body(tokens: list[Token]) -> tuple[int, int] | None:
    """Indexes of the outer parentheses of a CREATE TABLE (significant tokens)."""
    for i, tok in enumerate(tokens):
        if tok.text == "(":
            return i, matching_paren(tokens, i)
        if tok.is_kw("AS"):
            return None
    return None


# Strings, quoted identifiers and comments are skipped whole; parentheses and
# commas are what give a CREATE TABLE body its shape.
_SHAPE = re.compile(
    r"""'(?:[^']|'')*+'|"(?:[^"]|"")*+"|`(?:[^`]|``)*+`|\[[^\]]*\]|--[^\n]*|/\*.*?\*/|(?P<p>[(),])""",
    re.DOTALL,
)
# A column clause needs a full look only when it may hold one of these.
_DETAILED = re.compile(r"COLLATE|REFERENCES|\bAS\b|--|/\*", re.IGNORECASE)


_TRIVIA = re.compile(r"(?:\s+|--[^\n]*|/\*.*?\*/)*+", re.DOTALL)


def _first_token(sql: str, start: int, end: int, line: int) -> Token | None:
    """The first significant token of `sql[start:end]` (`line` is that of `start`)."""
    skip = _TRIVIA.match(sql, start, end)
    pos = skip.end() if skip else start
    m = _TOKEN.match(sql, pos, end)
    if m is None or m.lastgroup in ("bad", "bad_comment"):
        return None
    return Token(m.lastgroup or "word", m.group(), pos, m.end(), line + sql.count("\n", start, pos))


@functools.lru_cache(maxsize=8192)
def column_clauses(create_sql: str) -> tuple[ColumnClause, ...]:
    """Column definitions of a CREATE TABLE, with COLLATE, GENERATED and hints."""
    hints: dict[int, str] = {}
    if "dbinit:" in create_sql:
        for tok in lex(create_sql):
            match = HINT.search(tok.text) if tok.kind == "comment" else None
            if match:
                hints[tok.line] = unquote(match.group(1))
    spans: list[tuple[int, int]] = []
    depth, clause_start = 0, -1
    for m in _SHAPE.finditer(create_sql):
        mark = m.group("p")
        if mark == "(":
            depth += 1
            if depth == 1 and clause_start < 0:
                clause_start = m.end()
        elif mark == ")":
            depth -= 1
            if depth == 0:
                spans.append((clause_start, m.start()))
                break
        elif mark == "," and depth == 1:
            spans.append((clause_start, m.start()))
            clause_start = m.end()
    out: list[ColumnClause] = []
    line, counted = 1, 0
    for start, end in spans:
        line += create_sql.count("\n", counted, start)
        counted = start
        first = _first_token(create_sql, start, end, line)
        if first is None or first.is_kw(*_CONSTRAINT_START):
            continue  # a table constraint (a column named like a keyword is quoted)
        if _DETAILED.search(create_sql, first.start, end):
            tokens = significant(lex(create_sql, start=first.start, end=end, first_line=first.line))
            out.append(_column_clause(create_sql, tokens, hints))
        else:
            text = " ".join(create_sql[first.start : end].split())
            out.append(
                ColumnClause(
                    unquote(first.text), first.line, text, None, None, False, hints.get(first.line)
                )
            )
    return tuple(out)


def _column_clause(sql: str, clause: list[Token], hints: dict[int, str]) -> ColumnClause:
    name = unquote(clause[0].text)
    collate = None
    generated = None
    references = False
    depth = 0
    for i, tok in enumerate(clause[1:], start=1):
        if tok.text in "()":
            depth += 1 if tok.text == "(" else -1
        if depth:
            continue
        if tok.is_kw("COLLATE") and i + 1 < len(clause):
            collate = unquote(clause[i + 1].text).upper()
        elif tok.is_kw("REFERENCES"):
            references = True
        elif tok.is_kw("AS") and i + 1 < len(clause) and clause[i + 1].text == "(":
            close = matching_paren(clause, i + 1)
            generated = " ".join(_canon(t) for t in clause[i + 2 : close])
    # Rebuild the definition text without comments, keeping the original spacing.
    text = sql[clause[0].start : clause[-1].end]
    if "--" in text or "/*" in text:
        text = "".join(" " if t.kind == "comment" else t.text for t in lex(text, spaces=True))
    text = " ".join(text.split())
    return ColumnClause(
        name=name,
        line=clause[0].line,
        text=text,
        collate=collate,
        generated=generated,
        references=references,
        hint=hints.get(clause[0].line),
    )


def create_head(tokens: list[Token]) -> tuple[str, str | None, int]:
    """(object type, object name, index after the name) of a CREATE statement's
    significant tokens; type is '' when the statement is not an allowed CREATE."""
    if not tokens or not tokens[0].is_kw("CREATE"):
        return "", None, 0
    i = 1
    if i < len(tokens) and tokens[i].is_kw("TEMP", "TEMPORARY"):
        return "temp", None, 0
    kind = ""
    if i < len(tokens) and tokens[i].is_kw("UNIQUE"):
        i += 1
    if i < len(tokens) and tokens[i].is_kw("VIRTUAL"):
        i += 1
        if i < len(tokens) and tokens[i].is_kw("TABLE"):
            kind = "virtual_table"
    elif i < len(tokens) and tokens[i].is_kw("TABLE", "INDEX", "VIEW", "TRIGGER"):
        kind = tokens[i].text.lower()
    if not kind:
        return "", None, 0
    i += 1
    if i + 2 < len(tokens) and tokens[i].is_kw("IF") and tokens[i + 1].is_kw("NOT"):
        i += 3
    if i >= len(tokens):
        return kind, None, i
    name = unquote(tokens[i].text)
    i += 1
    if i + 1 < len(tokens) and tokens[i].text == ".":
        schema = name
        name = unquote(tokens[i + 1].text)
        i += 2
        if fold(schema) != "main":
            return "temp" if fold(schema) in ("temp", "temporary") else "schema", name, i
    return kind, name, i
