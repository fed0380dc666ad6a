"""Properties over generated schemas (hypothesis): a schema diffs empty against
itself, against any other spelling of itself, and after `init` built it."""

from __future__ import annotations

import sqlite3
import tempfile
from dataclasses import dataclass
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import dbinit
from dbinit.sqlite.desired import build
from dbinit.sqlite.diff import diff
from dbinit.sqlite.introspect import introspect
from dbinit.sqlite.sqlfiles import load, split

NAME_CHARS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_ é\"'"
TYPES = ["INTEGER", "TEXT", "REAL", "BLOB", "NUMERIC", "VARCHAR(20)", "DECIMAL(10, 2)", ""]
# Expressions as space-separated tokens: `render` spells each one differently
# per style (keyword case, spacing, extra parentheses, comments); words in
# capitals are keywords or function names, `{c}` is the column itself.
DEFAULTS = [
    "0",
    "( 0 )",
    "- 1",
    "1.5",
    "'x'",
    "'it''s'",
    "NULL",
    "CURRENT_TIMESTAMP",
    "( 1 + 2 )",
    "X'00ff'",
    "( ABS ( - 3 ) * 2 )",
    "( 'a' || 'b' )",
    "( CASE WHEN 1 >= 0 THEN 'y' ELSE 'n' END )",
    "( COALESCE ( NULL , 5 ) )",
    "TRUE",
]
CHECKS = [
    "{c} IS NOT NULL OR 1",
    "{c} <> 'zz' OR {c} IS NULL",
    "LENGTH ( {c} ) <= 100 OR {c} IS NULL",
    "{c} IN ( 1 , 2 , 'x' ) OR 1",
    "COALESCE ( {c} , 0 ) != - 1 OR 1",
    "( {c} || '' ) >= '' OR {c} IS NULL",
    "NOT ( {c} < - 5 ) OR {c} IS NULL",
]


@dataclass(frozen=True)
class Col:
    name: str
    type: str
    notnull: bool
    default: str | None
    unique: bool
    check: str | None  # one of CHECKS
    collate: str | None


@dataclass(frozen=True)
class Tab:
    name: str
    cols: tuple[Col, ...]
    pk: str | None  # "rowid" alias column name, or None
    fk: tuple[str, str] | None  # (local column, parent table) -> parent's pk
    strict: bool


def ident(raw: str) -> st.SearchStrategy[str]:
    return st.just(raw)


names = st.text(NAME_CHARS, min_size=1, max_size=8).filter(
    lambda s: not s.lower().startswith("sqlite_") and not s.lower().startswith("_dbinit")
)


@st.composite
def schemas(draw: st.DrawFn) -> list[Tab]:
    table_names = draw(st.lists(names, min_size=1, max_size=4, unique_by=str.lower))
    tables: list[Tab] = []
    for tname in table_names:
        col_names = draw(st.lists(names, min_size=1, max_size=5, unique_by=str.lower))
        cols = []
        for cname in col_names:
            strict = False
            cols.append(
                Col(
                    cname,
                    draw(st.sampled_from(TYPES)),
                    draw(st.booleans()),
                    draw(st.none() | st.sampled_from(DEFAULTS)),
                    draw(st.booleans()),
                    draw(st.none() | st.sampled_from(CHECKS)),
                    draw(st.none() | st.sampled_from(["NOCASE", "RTRIM", "BINARY"])),
                )
            )
        pk = col_names[0] if draw(st.booleans()) else None
        if pk is not None:
            cols[0] = Col(pk, "INTEGER", False, None, False, None, None)
        fk = None
        parents = [t for t in tables if t.pk]
        if parents and draw(st.booleans()):
            parent = draw(st.sampled_from(parents))
            fk = (col_names[-1], parent.name) if col_names[-1] != pk else None
        strict = draw(st.booleans()) and all(
            c.type in ("INTEGER", "TEXT", "REAL", "BLOB") for c in cols
        )
        tables.append(Tab(tname, tuple(cols), pk, fk, strict))
    return tables


@dataclass(frozen=True)
class Style:
    """How to spell the same schema: quoting, keyword case, layout, comments."""

    quote: str  # '"', '[', '`'
    upper: bool
    sep: str
    comments: bool
    gap: str  # between the tokens of an expression, where SQL allows none
    parens: int  # extra parentheses around DEFAULT and CHECK expressions


styles = st.builds(
    Style,
    st.sampled_from(['"', "[", "`"]),
    st.booleans(),
    st.sampled_from([" ", "  ", "\n  ", "\t"]),
    st.booleans(),
    st.sampled_from(["", " ", "  ", "\n\t"]),
    st.integers(0, 2),
)


def q(name: str, style: Style) -> str:
    if style.quote == "[" and "]" not in name:
        return f"[{name}]"
    if style.quote == "`":
        return "`" + name.replace("`", "``") + "`"
    return '"' + name.replace('"', '""') + '"'


def kw(word: str, style: Style) -> str:
    return word.upper() if style.upper else word.lower()


def _is_word(token: str) -> bool:
    return token == "{c}" or any(ch.isalnum() or ch == "'" for ch in token)


def spell(expr: str, column: str, style: Style) -> str:
    """One spelling of an expression of DEFAULTS or CHECKS."""
    out = ""
    prev = ""
    for i, token in enumerate(expr.split(" ")):
        if token == "{c}":
            text = q(column, style)
        elif token.replace("_", "").isalpha():
            text = kw(token, style)
        else:
            text = token
        if i:
            gap = style.gap
            if not gap and _is_word(prev) and _is_word(token):
                gap = " "
            out += gap
        out += text
        if i == 0 and style.comments:
            out += " /* e */ "
        prev = token
    for _ in range(style.parens):
        out = f"({style.gap}{out}{style.gap})"
    return out


def render(tables: list[Tab], style: Style) -> str:
    out = []
    for t in tables:
        parts = []
        for c in t.cols:
            bits = [q(c.name, style)]
            if c.type:
                bits.append(kw(c.type, style))
            if t.pk == c.name:
                bits.append(kw("PRIMARY KEY", style))
            if c.notnull:
                bits.append(kw("NOT NULL", style))
            if c.default is not None:
                bits.append(kw("DEFAULT", style) + " " + spell(c.default, c.name, style))
            if c.unique:
                bits.append(kw("UNIQUE", style))
            if c.check is not None:
                bits.append(f"{kw('CHECK', style)} ({spell(c.check, c.name, style)})")
            if c.collate:
                bits.append(kw("COLLATE", style) + " " + kw(c.collate, style))
            col = " ".join(bits)
            if style.comments:
                col += " /* c */"
            parts.append(col)
        if t.fk:
            parent = next(p for p in tables if p.name == t.fk[1])
            parts.append(
                f"{kw('FOREIGN KEY', style)} ({q(t.fk[0], style)}) {kw('REFERENCES', style)} "
                f"{q(parent.name, style)} ({q(parent.pk or '', style)})"
            )
        body = ("," + style.sep).join(parts)
        tail = " " + kw("STRICT", style) if t.strict else ""
        head = "-- table\n" if style.comments else ""
        out.append(
            f"{head}{kw('CREATE TABLE', style)} {q(t.name, style)} ({style.sep}{body}){tail};"
        )
        first = t.cols[-1].name
        out.append(
            f"{kw('CREATE INDEX', style)} {q(t.name + '_ix', style)} {kw('ON', style)} "
            f"{q(t.name, style)} ({q(first, style)});"
        )
        out.append(
            f"{kw('CREATE VIEW', style)} {q(t.name + '_v', style)} {kw('AS SELECT', style)} "
            f"{q(first, style)} {kw('FROM', style)} {q(t.name, style)};"
        )
    return "\n".join(out) + "\n"


def desired_from(sql: str, folder: Path):
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "001.sql").write_text(sql, encoding="utf-8")
    return build(load(folder, "schemas"))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(schemas(), styles, styles)
def test_any_spelling_of_a_schema_diffs_empty(tables: list[Tab], a: Style, b: Style) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        first = desired_from(render(tables, a), Path(tmp) / "a")
        second = desired_from(render(tables, b), Path(tmp) / "b")
        assert diff(first.schema, first.schema) == []
        assert diff(first.schema, second.schema) == []
        assert diff(second.schema, first.schema) == []


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(schemas(), styles)
def test_init_builds_a_database_that_checks_in_sync(tables: list[Tab], style: Style) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "schemas"
        desired = desired_from(render(tables, style), folder)
        db = Path(tmp) / "app.db"
        report = dbinit.ensure_database_ready(database=str(db), schema_dir=str(folder))
        assert report.status == "applied"
        conn = sqlite3.connect(db)
        try:
            assert diff(desired.schema, introspect(conn)) == []
        finally:
            conn.close()
        again = dbinit.ensure_database_ready(database=str(db), schema_dir=str(folder))
        assert again.status == "in_sync" and again.applied == []


@settings(max_examples=100, deadline=None)
@given(
    st.lists(
        st.sampled_from(
            ["CREATE TABLE a(x);", "CREATE TABLE b(y);", "-- c\n", "/* ; */", "\n", " "]
        ),
        max_size=12,
    )
)
def test_splitting_keeps_every_statement_once(pieces: list[str]) -> None:
    text = "".join(pieces)
    statements = split(text, "f.sql")
    assert [s.sql + ";" for s in statements] == [p for p in pieces if p.startswith("CREATE")]
