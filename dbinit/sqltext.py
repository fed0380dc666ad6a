"""SQL text helpers: a small SQLite lexer, normalization and identifier quoting.

SQLite parses every statement itself (see `desired.py`); this module only
needs to find statement boundaries, object names, column clauses and comments,
and to put two spellings of one definition into one canonical form. It must
not execute SQL and must not decide what a change means.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_PUNCT = frozenset("(),.;+-*/%<>=!~|&?:^")
_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")
_BARE = re.compile(r"[A-Za-z_\x80-\U0010ffff][A-Za-z0-9_$\x80-\U0010ffff]*\Z")
HINT = re.compile(r"dbinit:\s*renamed-from\s*=\s*(\"(?:[^\"]|\"\")+\"|[^\s*]+)")


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


def lex(sql: str, *, first_line: int = 1) -> list[Token]:
    """Split SQL into tokens, keeping comments and white space (with line numbers)."""
    tokens: list[Token] = []
    i, n, line = 0, len(sql), first_line
    while i < n:
        start, char, tline = i, sql[i], line
        if char.isspace():
            while i < n and sql[i].isspace():
                i += 1
            kind = "space"
        elif sql.startswith("--", i):
            nl = sql.find("\n", i)
            i = n if nl == -1 else nl
            kind = "comment"
        elif sql.startswith("/*", i):
            end = sql.find("*/", i + 2)
            if end == -1:
                raise LexError("unterminated /* comment", tline)
            i, kind = end + 2, "comment"
        elif char in "'\"`":
            i += 1
            while True:
                j = sql.find(char, i)
                if j == -1:
                    what = "string" if char == "'" else "quoted identifier"
                    raise LexError(f"unterminated {what}", tline)
                if j + 1 < n and sql[j + 1] == char:
                    i = j + 2
                    continue
                i = j + 1
                break
            kind = "string" if char == "'" else "ident"
        elif char == "[":
            j = sql.find("]", i)
            if j == -1:
                raise LexError("unterminated [ identifier", tline)
            i, kind = j + 1, "ident"
        elif char in _PUNCT:
            i, kind = i + 1, "punct"
        else:
            i += 1
            while i < n and not (sql[i].isspace() or sql[i] in _PUNCT or sql[i] in "'\"`["):
                if sql.startswith("--", i) or sql.startswith("/*", i):
                    break
                i += 1
            kind = "word"
        text = sql[start:i]
        line += text.count("\n")
        tokens.append(Token(kind, text, start, i, tline))
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


def normalize(sql: str) -> str:
    """Canonical text of an expression or statement: no comments or layout,
    identifiers unquoted and folded, keywords in one case, literals kept."""
    return " ".join(_canon(t) for t in significant(lex(sql)))


def normalize_expr(sql: str | None) -> str | None:
    """`normalize`, with redundant outer parentheses removed (`(0)` equals `0`)."""
    if sql is None:
        return None
    toks = significant(lex(sql))
    while len(toks) >= 2 and toks[0].text == "(" and toks[-1].text == ")":
        if matching_paren(toks, 0) != len(toks) - 1:
            break
        toks = toks[1:-1]
    return " ".join(_canon(t) for t in toks)


def normalize_type(declared: str) -> str:
    return " ".join(_canon(t) for t in significant(lex(declared))).upper()


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
    toks = significant(lex(expr))
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


def column_clauses(create_sql: str) -> list[ColumnClause]:
    """Column definitions of a CREATE TABLE, with COLLATE, GENERATED and hints."""
    all_tokens = lex(create_sql)
    hints = {}
    for tok in all_tokens:
        if tok.kind == "comment":
            m = HINT.search(tok.text)
            if m:
                hints[tok.line] = unquote(m.group(1))
    sig = significant(all_tokens)
    body = table_body(sig)
    if body is None:
        return []
    open_i, close_i = body
    clauses: list[list[Token]] = []
    current: list[Token] = []
    depth = 0
    for tok in sig[open_i + 1 : close_i]:
        if tok.text == "(":
            depth += 1
        elif tok.text == ")":
            depth -= 1
        if tok.text == "," and depth == 0:
            clauses.append(current)
            current = []
        else:
            current.append(tok)
    clauses.append(current)
    out: list[ColumnClause] = []
    for clause in clauses:
        if not clause or clause[0].is_kw(*_CONSTRAINT_START):
            continue  # a table constraint (a column named like a keyword is quoted)
        out.append(_column_clause(create_sql, clause, hints))
    return out


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
    pieces: list[str] = []
    for tok in lex(sql[clause[0].start : clause[-1].end]):
        pieces.append(" " if tok.kind == "comment" else tok.text)
    text = re.sub(r"\s+", " ", "".join(pieces)).strip()
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
