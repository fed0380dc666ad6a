"""Hostile and broken input, broken databases, quoting, injection, permissions
and secrets (issue 4, items 6-9), with real files and real processes.

Every case asserts the exit code and error code of docs/exit-codes.md, that no
traceback reaches the user (only exit 70 may log one, and 70 is always a
failure here) and that nothing was written where nothing should be.
"""

from __future__ import annotations

import json
import os
import random
import re
import shutil
import signal
import sqlite3
import stat
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import structlog
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from dbinit import DbInitError
from dbinit.cli import app
from dbinit.plan import Mode, Policy
from dbinit.sqlite.desired import build
from dbinit.sqlite.diff import diff
from dbinit.sqlite.model import Schema
from dbinit.sqlite.plan import make_plan
from dbinit.sqlite.sqlfiles import load
from tests.conftest import SHIPPED_SCHEMAS, Result, digest, make_db, write_schema

ERROR_NAMES = {
    "DB_001": "connection_error",
    "DB_003": "permission_error",
    "DB_004": "schema_error",
    "DB_006": "integrity_error",
    "DB_007": "refused",
    "DB_008": "config_error",
    "DB_009": "io_error",
}
ALL_COMMANDS = [
    ["check"],
    ["init"],
    ["validate"],
    ["repair", "--yes"],
    ["inspect"],
    ["history"],
]
USERS = "CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT);\n"
USERS_ROWS = [(1, "ann@x.io"), (2, "bob@x.io"), (3, "o'hara@x.io")]


# --- helpers -------------------------------------------------------------------


def q(name: str) -> str:
    """A double-quoted SQL identifier (test side; independent of dbinit)."""
    return '"' + name.replace('"', '""') + '"'


def assert_clean(res: Result) -> None:
    """No traceback and never the internal-error exit code."""
    assert res.exit_code != 70, (res.exit_code, res.stdout, res.stderr)
    assert "Traceback" not in res.stderr, res.stderr
    assert "Traceback" not in res.stdout, res.stdout


def assert_error(res: Result, exit_code: int, error_code: str) -> dict[str, Any]:
    assert_clean(res)
    assert res.exit_code == exit_code, (res.exit_code, res.stdout, res.stderr)
    doc = res.json()
    assert doc["exit_code"] == exit_code
    err = doc["error"]
    assert isinstance(err, dict), doc
    assert err["error_code"] == error_code, err
    assert err["error"] == ERROR_NAMES[error_code], err
    assert isinstance(err["message"], str) and err["message"]
    return err


def assert_ok(res: Result, exit_code: int = 0) -> dict[str, Any]:
    assert_clean(res)
    assert res.exit_code == exit_code, (res.exit_code, res.stdout, res.stderr)
    doc = res.json()
    assert doc["error"] is None, doc
    return doc


def objects(path: Path) -> set[tuple[str, str]]:
    conn = sqlite3.connect(path)
    try:
        return {(t, n) for t, n in conn.execute("SELECT type, name FROM sqlite_schema")}
    finally:
        conn.close()


def users_rows(path: Path) -> list[tuple[Any, ...]]:
    conn = sqlite3.connect(path)
    try:
        return conn.execute("SELECT id, email FROM users ORDER BY id").fetchall()
    finally:
        conn.close()


def make_users_db(path: Path, extra: str = "") -> Path:
    make_db(path, USERS + extra)
    conn = sqlite3.connect(path)
    conn.executemany("INSERT INTO users (id, email) VALUES (?, ?)", USERS_ROWS)
    conn.commit()
    conn.close()
    return path


def integrity(path: Path) -> str:
    conn = sqlite3.connect(path)
    try:
        return conn.execute("PRAGMA integrity_check").fetchone()[0]
    finally:
        conn.close()


def child_env(**extra: str) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DBINIT_", "RAILWAY_")) and k not in ("DATABASE_URL", "NO_COLOR")
    }
    env["DBINIT_RETRY_DELAY"] = "0.05"
    env.update(extra)
    return env


def dbinit_script() -> str:
    script = Path(sys.executable).parent / "dbinit"
    if script.exists():
        return str(script)
    found = shutil.which("dbinit")
    if not found:
        pytest.skip("the dbinit console script is not installed")
    return found


def run_proc(
    cwd: Path,
    *args: str,
    timeout: float = 60,
    prefix: tuple[str, ...] = (),
    env: dict[str, str] | None = None,
) -> Result:
    """The installed console script in a real process (bytes decoded losslessly)."""
    try:
        proc = subprocess.run(
            [*prefix, dbinit_script(), *args],
            cwd=cwd,
            env=env if env is not None else child_env(),
            capture_output=True,
            timeout=timeout,
        )
    except subprocess.TimeoutExpired as exc:
        pytest.fail(f"dbinit {' '.join(args)} hung: no answer after {timeout} s ({exc})")
    return Result(
        proc.returncode,
        proc.stdout.decode("utf-8", "surrogateescape"),
        proc.stderr.decode("utf-8", "surrogateescape"),
    )


_RUNNER = CliRunner()


def invoke(*args: str) -> Result:
    """In-process CLI for hypothesis (function-scoped fixtures do not mix with @given)."""
    res = _RUNNER.invoke(app, list(args), catch_exceptions=False)
    structlog.reset_defaults()
    return Result(res.exit_code, res.stdout, res.stderr)


# --- 7a. fuzzed schema loader ------------------------------------------------------

KEYWORDS = [
    "CREATE", "TABLE", "INDEX", "UNIQUE", "VIEW", "TRIGGER", "VIRTUAL", "USING", "fts5", "IF",
    "NOT", "EXISTS", "TEMP", "TEMPORARY", "AS", "SELECT", "FROM", "WHERE", "ON", "BEGIN", "END",
    "INSERT", "INTO", "VALUES", "DROP", "PRAGMA", "ATTACH", "DETACH", "VACUUM", "PRIMARY", "KEY",
    "REFERENCES", "CHECK", "DEFAULT", "NULL", "INTEGER", "TEXT", "REAL", "BLOB", "COLLATE",
    "NOCASE", "AFTER", "BEFORE", "INSTEAD", "OF", "UPDATE", "DELETE", "FOR", "EACH", "ROW",
    "WITHOUT", "ROWID", "STRICT", "GENERATED", "ALWAYS", "AUTOINCREMENT", "CONSTRAINT", "FOREIGN",
    "main", "temp", "CASE", "WHEN", "THEN", "ELSE", "WITH", "RECURSIVE", "UNION", "ALL", "LIMIT",
]  # fmt: skip
IDENTS = ["t", "a", "users", "x", "order", "Users", "café", "数据", "sqlite_x", "_dbinit_history"]
PUNCT = [
    "(", ")", ",", ";", ".", "*", "=", "1", "0x1F", "-1.5e3", "'", '"', "[", "]", "`",
    "--", "/*", "*/", "-- dbinit: renamed-from=x", "\n", "\r\n", "\t", " ", "?", ":a",
    "@b", "$c", "X'00'", "||", "\u00a0", "\u2028", "\ufeff", "\\",
]  # fmt: skip
ANY_CHAR = st.characters(exclude_categories=["Cs"])
FRAGMENT = st.one_of(
    st.sampled_from(KEYWORDS),
    st.sampled_from(IDENTS),
    st.sampled_from(IDENTS).map(lambda s: f'"{s}"'),
    st.sampled_from(IDENTS).map(lambda s: f"[{s}]"),
    st.sampled_from(IDENTS).map(lambda s: f"`{s}`"),
    st.text(ANY_CHAR, max_size=6).map(lambda s: "'" + s.replace("'", "''") + "'"),
    st.sampled_from(PUNCT),
    st.text(ANY_CHAR, max_size=3),
)
TEMPLATES = [
    "CREATE TABLE {a} ({b} INTEGER PRIMARY KEY, {c} TEXT);",
    "CREATE INDEX {a} ON {b} ({c});",
    "CREATE VIEW {a} AS SELECT {b} FROM {c};",
    "CREATE TRIGGER {a} AFTER INSERT ON {b} BEGIN SELECT {c}; END;",
    "CREATE VIRTUAL TABLE {a} USING fts5({b}, {c});",
    "CREATE TABLE {a} AS SELECT {b} AS {c};",
    "CREATE TABLE a(x); {a} {b} {c}",
]
SQLISH = st.lists(
    st.one_of(
        st.lists(FRAGMENT, max_size=30).map(" ".join),
        st.builds(
            lambda t, a, b, c: t.format(a=a, b=b, c=c),
            st.sampled_from(TEMPLATES),
            FRAGMENT,
            FRAGMENT,
            FRAGMENT,
        ),
    ),
    min_size=1,
    max_size=6,
).map("\n".join)
BAD_UTF8 = [b"\xff", b"\xc3", b"\xe2\x82", b"\xed\xa0\x80", b"\xc0\xaf", b"\xf8\x88\x80\x80\x80"]


@st.composite
def schema_bytes(draw: Any) -> bytes:
    """SQL-like text, random text or random bytes, in every hostile encoding."""
    kind = draw(st.sampled_from(["sqlish", "text", "bytes", "bad-utf8", "bom", "crlf", "bom-crlf"]))
    if kind == "bytes":
        return bytes(draw(st.binary(max_size=400)))
    text = draw(st.text(ANY_CHAR, max_size=200)) if kind == "text" else draw(SQLISH)
    data = text.encode("utf-8")
    if kind == "bad-utf8":
        at = draw(st.integers(0, len(data)))
        data = data[:at] + draw(st.sampled_from(BAD_UTF8)) + data[at:]
    if "crlf" in kind:
        data = data.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
    if "bom" in kind:
        data = b"\xef\xbb\xbf" + data
    return data


NAME = st.text(
    st.characters(exclude_categories=["Cs"], exclude_characters="\x00"), min_size=1, max_size=8
)
COLUMN_TYPES = [
    "",
    "INTEGER",
    "TEXT",
    "REAL",
    "BLOB",
    "VARCHAR(10)",
    "INT NOT NULL DEFAULT 0",
    "TEXT COLLATE NOCASE",
    "TEXT UNIQUE",
    "TEXT DEFAULT 'a''b'",
]


@st.composite
def mutated_schema(draw: Any) -> bytes:
    """A valid schema with random (unicode, quote-hostile) names, then a few
    fragments spliced in at random offsets: deep paths through SQLite and dbinit."""
    out = []
    for t in draw(st.lists(NAME, min_size=1, max_size=3, unique_by=str.lower)):
        cols = draw(st.lists(NAME, min_size=1, max_size=4, unique_by=str.lower))
        body = ", ".join(f"{q(c)} {draw(st.sampled_from(COLUMN_TYPES))}" for c in cols)
        out.append(f"CREATE TABLE {q(t)} ({body});")
        if draw(st.booleans()):
            out.append(f"CREATE INDEX {q('ix ' + t)} ON {q(t)} ({q(cols[-1])});")
        if draw(st.booleans()):
            out.append(f"CREATE VIEW {q('v ' + t)} AS SELECT {q(cols[0])} FROM {q(t)};")
        if draw(st.booleans()):
            out.append(f"CREATE TRIGGER {q('tr ' + t)} AFTER INSERT ON {q(t)} BEGIN SELECT 1; END;")
    text = draw(st.sampled_from(["\n", " ", "\r\n"])).join(out)
    for _ in range(draw(st.integers(0, 2))):
        at = draw(st.integers(0, len(text)))
        text = text[:at] + draw(FRAGMENT) + text[at:]
    return text.encode("utf-8")


LOCATED = re.compile(r"^s/x\.sql:(\d+): \S")


def load_and_build(data: bytes) -> int:
    """The library path for one file: 0 when it loads, else the error's exit code.

    Only `DbInitError` may escape the loader; its message names `file:line`
    with a line that exists in the file.
    """
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "s"
        folder.mkdir()
        (folder / "x.sql").write_bytes(data)
        try:
            desired = build(load(folder, "s"))
            # What every command does next, against an empty database.
            changes = diff(desired.schema, Schema())
            make_plan(changes, desired.schema, Schema(), Policy(Mode.REPAIR, True, True))
        except DbInitError as exc:
            assert exc.exit_code == 65, (exc.exit_code, str(exc), data)
            assert exc.error_code == "DB_004"
            located = LOCATED.match(str(exc))
            assert located, (str(exc), data)
            assert 1 <= int(located.group(1)) <= data.count(b"\n") + 1, (str(exc), data)
            return 65
    return 0


@settings(deadline=None, max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(schema_bytes())
def test_fuzzed_schema_files_only_raise_schema_errors(data: bytes) -> None:
    load_and_build(data)


@settings(deadline=None, max_examples=200, suppress_health_check=[HealthCheck.too_slow])
@given(mutated_schema())
def test_fuzzed_near_valid_schemas_only_raise_schema_errors(data: bytes) -> None:
    load_and_build(data)


@settings(deadline=None, max_examples=30, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(schema_bytes(), mutated_schema()))
def test_fuzzed_schema_files_through_the_cli(data: bytes) -> None:
    """init answers 0, 65 or 66; on an error no database appears; when it
    applies, check is then in sync."""
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "s").mkdir()
        (root / "s" / "x.sql").write_bytes(data)
        where = ["-s", str(root / "s"), "-d", str(root / "fresh" / "app.db"), "--format", "json"]
        res = invoke("init", *where)
        assert_clean(res)
        assert res.exit_code in (0, 65, 66), (res.exit_code, res.stdout, data)
        if res.exit_code:
            assert res.json()["error"]["error_code"] == "DB_004"
            assert not (root / "fresh").exists(), data
            return
        again = invoke("check", *where)
        assert_clean(again)
        assert again.exit_code == 0, (again.stdout, data)


# --- 7b. a handful of hostile encodings through the CLI ----------------------------

RNG_BYTES = bytes(random.Random(4).randrange(256) for _ in range(2048))
ENCODINGS = [
    # (id, file bytes, exit code, "x.sql:LINE" or None)
    ("random-bytes", RNG_BYTES, 65, "x.sql:1"),
    ("invalid-utf8-line-3", b"CREATE TABLE a (x);\r\n-- caf\xe9\r\nCREATE TABLE b (y);\r\n", 65, "x.sql:2"),
    ("utf16", "CREATE TABLE a (x);\n".encode("utf-16"), 65, "x.sql:1"),
    ("bom-crlf-valid", b"\xef\xbb\xbf-- h\r\nCREATE TABLE a (x);\r\n\r\nCREATE TABLE b (y);\r\n", 0, None),
    ("bom-crlf-error-line-4", b"\xef\xbb\xbfCREATE TABLE a (x);\r\n\r\n-- c\r\nCREATE TABLE b (y,);\r\n", 65, "x.sql:4"),
    ("double-bom", b"\xef\xbb\xbf\xef\xbb\xbfCREATE TABLE a (x);\n", 65, "x.sql:1"),
    ("only-comments", b"-- nothing\r\n/* at all */\r\n\r\n", 66, None),
    ("empty", b"", 66, None),
    ("lone-surrogate-bytes", b"CREATE TABLE \"\xed\xa0\x80\" (x);\n", 65, "x.sql:1"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("data", "exit_code", "where"), [c[1:] for c in ENCODINGS], ids=[c[0] for c in ENCODINGS]
)
def test_hostile_encodings_through_the_cli(
    cli, tmp_path: Path, data: bytes, exit_code: int, where: str | None
) -> None:
    (tmp_path / "schemas").mkdir()
    (tmp_path / "schemas" / "x.sql").write_bytes(data)
    res = cli("init", "--format", "json", "-d", "fresh/app.db")
    if exit_code == 0:
        assert_ok(res)
        assert_ok(cli("check", "--format", "json", "-d", "fresh/app.db"))
        return
    err = assert_error(res, exit_code, "DB_004")
    if where:
        assert f"schemas/{where}: " in err["message"], err
    assert not (tmp_path / "fresh").exists()


# --- 7c. size and depth ------------------------------------------------------------


def test_huge_identifier_and_literal(tmp_path: Path) -> None:
    """A 500 kB table name and a 500 kB hex DEFAULT: init and check work in a real
    process, as a deploy would run it (how long they take: benchmarks/run.py --only
    inputs; the subprocess timeout is only a hang guard)."""
    name = "n" * 500_000
    blob = "ab" * 250_000
    write_schema(
        tmp_path / "schemas",
        {"x.sql": f"CREATE TABLE {q(name)} (id INTEGER PRIMARY KEY, b BLOB DEFAULT X'{blob}');\n"},
    )
    assert_ok(run_proc(tmp_path, "init", "--format", "json", timeout=300))
    assert_ok(run_proc(tmp_path, "check", "--format", "json", timeout=300))
    assert ("table", name) in objects(tmp_path / "app.db")


def test_five_megabytes_of_comments_and_one_table(cli, tmp_path: Path) -> None:
    line = "-- " + "padding " * 12 + "\n"
    half = line * (5 * 1024 * 1024 // len(line) // 2)
    text = (
        half + "CREATE TABLE t (id INTEGER PRIMARY KEY);\n" + half + "/*" + " x" * 100_000 + "*/\n"
    )
    write_schema(tmp_path / "schemas", {"x.sql": text})
    assert (tmp_path / "schemas" / "x.sql").stat().st_size > 5 * 1024 * 1024
    assert_ok(cli("init", "--format", "json"))
    assert_ok(cli("check", "--format", "json"))
    assert ("table", "t") in objects(tmp_path / "app.db")


def test_ten_thousand_statements(cli, tmp_path: Path) -> None:
    """2,500 tables, each with an index, a view and a trigger; some glued on one line.
    (How long it takes is measured by benchmarks/run.py --only inputs.)"""
    parts = []
    for i in range(2500):
        parts.append(
            f"CREATE TABLE t{i} (id INTEGER PRIMARY KEY, v TEXT);"
            f"{' ' if i % 2 else chr(10)}CREATE INDEX i{i} ON t{i} (v);\n"
            f"CREATE VIEW v{i} AS SELECT v FROM t{i};\n"
            f"CREATE TRIGGER tr{i} AFTER INSERT ON t{i} BEGIN SELECT 1; END;"
        )
    write_schema(tmp_path / "schemas", {"x.sql": "\n".join(parts) + "\n"})

    doc = assert_ok(cli("init", "--format", "json"))
    assert len(doc["changes"]) == 10_000
    doc = assert_ok(cli("check", "--format", "json"))
    assert doc["changes"] == []


DEPTH = 5000
DEEP = [
    ("check-parens", f"CREATE TABLE t (x INTEGER CHECK ({'(' * DEPTH}x > 0{')' * DEPTH}));"),
    ("default-parens", f"CREATE TABLE t (x INTEGER DEFAULT ({'(' * DEPTH}1{')' * DEPTH}));"),
    ("unbalanced", f"CREATE TABLE t (x INTEGER CHECK ({'(' * DEPTH}x > 0));"),
    ("plus-chain", f"CREATE TABLE t (x INTEGER CHECK (x > {'1+' * DEPTH}1));"),
    ("case-nest", f"CREATE TABLE t (x CHECK ({'CASE WHEN x THEN ' * DEPTH}1{' END' * DEPTH}));"),
    ("view", f"CREATE TABLE t (x);\nCREATE VIEW v AS SELECT {'(' * DEPTH}x{')' * DEPTH} FROM t;"),
    ("index-expr", f"CREATE TABLE t (x);\nCREATE INDEX i ON t ({'(' * DEPTH}x{')' * DEPTH});"),
    ("subqueries", f"CREATE TABLE t (x);\nCREATE VIEW v AS {'SELECT * FROM (' * 500}SELECT 1{')' * 500};"),
]  # fmt: skip


@pytest.mark.parametrize("sql", [c[1] for c in DEEP], ids=[c[0] for c in DEEP])
def test_deeply_nested_expressions(cli, tmp_path: Path, sql: str) -> None:
    """Whatever SQLite says, dbinit answers 65 naming file:line, or succeeds."""
    write_schema(tmp_path / "schemas", {"x.sql": "-- deep\n" + sql + "\n"})
    res = cli("init", "--format", "json")
    assert_clean(res)
    if res.exit_code == 0:
        assert_ok(cli("check", "--format", "json"))
        return
    err = assert_error(res, 65, "DB_004")
    assert re.search(r"schemas/x\.sql:[23]: ", err["message"]), err
    assert not (tmp_path / "app.db").exists()


def test_nesting_sqlite_accepts_is_handled_end_to_end(cli, tmp_path: Path) -> None:
    """The deepest forms SQLite accepts: init, check in sync, a rebuild keeps rows."""
    d = 45
    deep = f"{'(' * d}x > 0{')' * d}"
    chain = "1+" * 990 + "1"

    def schema(xtype: str) -> str:
        return (
            f"CREATE TABLE t (id INTEGER PRIMARY KEY, x {xtype} CHECK ({deep}),"
            f" y INTEGER DEFAULT ({chain}));\n"
            f"CREATE INDEX ix ON t ({'(' * d}x + y{')' * d});\n"
            f"CREATE VIEW v AS SELECT {'(' * d}x{')' * d} AS z FROM t;\n"
        )

    write_schema(tmp_path / "schemas", {"x.sql": schema("TEXT")})
    assert_ok(cli("init", "--format", "json"))
    assert_ok(cli("check", "--format", "json"))
    db = tmp_path / "app.db"
    conn = sqlite3.connect(db)
    conn.executemany("INSERT INTO t (id, x) VALUES (?, ?)", [(i, str(i + 1)) for i in range(50)])
    conn.commit()
    conn.close()
    write_schema(tmp_path / "schemas", {"x.sql": schema("INTEGER")})
    assert_ok(cli("repair", "--yes", "--format", "json"))
    assert_ok(cli("check", "--format", "json"))
    conn = sqlite3.connect(db)
    rows = conn.execute("SELECT id, x, typeof(x), y FROM t ORDER BY id").fetchall()
    conn.close()
    assert rows == [(i, i + 1, "integer", 991) for i in range(50)]


def test_unbounded_create_table_as_select_is_stopped_by_the_time_limit(tmp_path: Path) -> None:
    """`CREATE TABLE … AS SELECT` runs its query while the schema is built: an
    endless one must not hang a CI gate past `--timeout` (docs/settings.md). Without the
    limit the query never ends: the subprocess timeout, far above `--timeout`, is
    the hang guard that catches it."""
    write_schema(
        tmp_path / "schemas",
        {
            "x.sql": "CREATE TABLE t AS WITH RECURSIVE c(n) AS "
            "(SELECT 1 UNION ALL SELECT n + 1 FROM c) SELECT max(n) AS m FROM c;\n"
        },
    )
    res = run_proc(
        tmp_path, "validate", "--schema-only", "--timeout", "2", "--format", "json", timeout=120
    )
    err = assert_error(res, 65, "DB_004")
    assert "schemas/x.sql:1" in err["message"]


GLUED = [
    # (id, file text, line, a file the statement would create if it ran)
    ("no-space", "CREATE TABLE a(x);DROP TABLE users;", 1, None),
    ("semicolon-in-string", "CREATE TABLE a(x DEFAULT ';'); DROP TABLE users", 1, None),
    ("quote-in-string", "CREATE TABLE a(x DEFAULT 'it''s;'); DELETE FROM users;", 1, None),
    ("semicolon-in-comment", "CREATE TABLE a(x) /* ; */; PRAGMA writable_schema = 1;", 1, None),
    ("after-trigger", "CREATE TABLE a(x); CREATE TRIGGER tr AFTER INSERT ON a BEGIN\n"
     "  SELECT 1;\nEND; DROP TABLE users;", 3, None),
    ("extra-end", "CREATE TABLE a(x);\nCREATE TRIGGER tr AFTER INSERT ON a BEGIN SELECT 1; END;"
     " END; DROP TABLE users;", 2, None),
    ("drop-in-trigger", "CREATE TABLE a(x);\nCREATE TRIGGER tr AFTER INSERT ON a BEGIN\n"
     "  DROP TABLE users;\nEND;", 2, None),
    ("attach", "CREATE TABLE a(x);ATTACH DATABASE 'pwned.db' AS p;CREATE TABLE p.t(x);", 1,
     "pwned.db"),
    ("vacuum-into", "CREATE TABLE a(x);\nCREATE VIEW v AS SELECT 1; VACUUM INTO 'copy.db';", 2,
     "copy.db"),
    ("stray-semicolons", "CREATE TABLE a(x)\n;\n;\n;DROP TABLE users", 4, None),
    ("crlf-after-comment", "CREATE TABLE a(x); -- fine\r\nDROP TABLE users;\r\n", 2, None),
    ("no-semicolon", "CREATE TABLE a(x) DROP TABLE users;", 1, None),
    ("quoted-name-hides-semicolon", 'CREATE TABLE "a;" (x); INSERT INTO users VALUES (9, \'e\');',
     1, None),
]  # fmt: skip


@pytest.mark.parametrize(
    "command", [["init"], ["repair", "--yes", "--allow-data-loss"]], ids=["init", "repair"]
)
@pytest.mark.parametrize(
    ("text", "line", "side_file"), [c[1:] for c in GLUED], ids=[c[0] for c in GLUED]
)
def test_glued_statements_never_run(
    cli, tmp_path: Path, command: list[str], text: str, line: int, side_file: str | None
) -> None:
    write_schema(tmp_path / "schemas", {"001_users.sql": USERS, "010_glued.sql": text})
    db = make_users_db(tmp_path / "app.db")
    before = digest(db)
    err = assert_error(cli(*command, "--format", "json"), 65, "DB_004")
    assert f"010_glued.sql:{line}: " in err["message"], err
    assert digest(db) == before
    assert users_rows(db) == USERS_ROWS
    if side_file:
        assert not (tmp_path / side_file).exists()


def test_names_with_semicolons_are_just_names(cli, tmp_path: Path) -> None:
    odd = ["a;DROP TABLE users", "b;", "c); DROP TABLE users; --"]
    text = (
        USERS
        + f"CREATE TABLE [{odd[0]}] (x);\n"
        + f"CREATE TABLE `{odd[1]}` (y); CREATE TABLE {q(odd[2])} ({q(odd[2])});\n"
    )
    write_schema(tmp_path / "schemas", {"x.sql": text})
    db = make_users_db(tmp_path / "app.db")
    assert_ok(cli("init", "--format", "json"))
    assert_ok(cli("check", "--format", "json"))
    assert users_rows(db) == USERS_ROWS
    assert {n for t, n in objects(db) if t == "table"} == {
        "users",
        "_dbinit_history",
        "_dbinit_state",
        *odd,
    }


# --- 7d. broken databases ------------------------------------------------------------


def _multi_page_db(path: Path) -> Path:
    make_db(path, (SHIPPED_SCHEMAS / "001_users.sql").read_text())
    conn = sqlite3.connect(path)
    conn.executemany(
        "INSERT INTO users (email, password_hash) VALUES (?, ?)",
        [(f"user{i}@x.io", "h" * 200) for i in range(2000)],
    )
    conn.commit()
    conn.close()
    assert path.stat().st_size > 100 * 4096
    return path


def _users_schema(tmp_path: Path, extra: str = "") -> None:
    write_schema(
        tmp_path / "schemas",
        {"001_users.sql": (SHIPPED_SCHEMAS / "001_users.sql").read_text() + extra},
    )


def _truncate_100(path: Path) -> None:
    path.write_bytes(path.read_bytes()[:100])


def _truncate_half(path: Path) -> None:
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


def _random_bytes(path: Path) -> None:
    path.write_bytes(bytes(random.Random(7).randrange(256) for _ in range(8192)))


def _magic_then_garbage(path: Path) -> None:
    rng = random.Random(8)
    path.write_bytes(b"SQLite format 3\x00" + bytes(rng.randrange(256) for _ in range(8192)))


@pytest.mark.parametrize("command", [["check"], ["init"], ["validate"], ["repair", "--yes"]])
@pytest.mark.parametrize(
    "spoil",
    [_truncate_100, _truncate_half, _random_bytes, _magic_then_garbage],
    ids=["first-100-bytes", "cut-in-the-middle", "random-bytes", "magic-then-garbage"],
)
def test_truncated_or_garbage_database_is_exit_69(
    cli, tmp_path: Path, command: list[str], spoil: Any
) -> None:
    _users_schema(tmp_path)
    db = _multi_page_db(tmp_path / "app.db")
    spoil(db)
    before = digest(db)
    err = assert_error(cli(*command, "--format", "json"), 69, "DB_001")
    assert "app.db" in err["message"]
    assert digest(db) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["app.db", "schemas"]


def _table_page(data: bytes) -> int:
    """Offset of a leaf page of `users` from the middle of the file (it holds
    password hashes; the email index pages do not)."""
    pages = [
        n * 4096
        for n in range(1, len(data) // 4096)
        if b"h" * 200 in data[n * 4096 : n * 4096 + 4096]
    ]
    assert len(pages) > 50
    return pages[len(pages) // 2]


def _scribble_cells(db: Path) -> None:
    """Page header intact, cell content overwritten: quick_check lists the damage."""
    data = bytearray(db.read_bytes())
    at = _table_page(data)
    data[at + 1000 : at + 3000] = b"\xff" * 2000
    db.write_bytes(bytes(data))


def _wipe_page(db: Path) -> None:
    """A whole table page overwritten: SQLite aborts quick_check with SQLITE_CORRUPT."""
    data = bytearray(db.read_bytes())
    at = _table_page(data)
    data[at : at + 4096] = b"\xff" * 4096
    db.write_bytes(bytes(data))


CORRUPTIONS = pytest.mark.parametrize(
    "spoil", [_scribble_cells, _wipe_page], ids=["scribbled-cells", "wiped-page"]
)


@CORRUPTIONS
def test_corrupted_pages_validate_reports_integrity(cli, tmp_path: Path, spoil: Any) -> None:
    """Header and schema intact, a data page damaged: validate's integrity step
    fails (exit 1, DB_006, checks.integrity 'failed') — also when SQLite aborts
    the check itself with 'database disk image is malformed'. Never a write."""
    _users_schema(tmp_path)
    db = _multi_page_db(tmp_path / "app.db")
    spoil(db)
    before = digest(db)
    for integrity_mode in ("quick", "full"):
        res = cli("validate", "--format", "json", "--integrity", integrity_mode)
        assert_error(res, 1, "DB_006")
        assert res.json()["checks"]["integrity"] == "failed"
    assert digest(db) == before


@CORRUPTIONS
def test_corrupted_pages_check_and_init_never_crash(cli, tmp_path: Path, spoil: Any) -> None:
    """check and an in-sync init read only the schema: in sync (0) or 69 —
    never 70, never a write."""
    _users_schema(tmp_path)
    db = _multi_page_db(tmp_path / "app.db")
    spoil(db)
    before = digest(db)
    for command in ("check", "init"):
        res = cli(command, "--format", "json")
        assert_clean(res)
        assert res.exit_code in (0, 69), (command, res.stdout)
        if res.exit_code == 69:
            assert res.json()["error"]["error_code"] == "DB_001"
    assert digest(db) == before


@CORRUPTIONS
@pytest.mark.parametrize("command", [["init"], ["repair", "--yes"]], ids=lambda c: c[0])
def test_corrupted_pages_writes_that_touch_them_roll_back(
    cli, tmp_path: Path, command: list[str], spoil: Any
) -> None:
    """An index over the damaged table must read the bad page: 69, nothing
    written, no journal and no backup left behind."""
    _users_schema(tmp_path, "\nCREATE INDEX by_hash ON users (password_hash);\n")
    db = _multi_page_db(tmp_path / "app.db")
    spoil(db)
    before = digest(db)
    err = assert_error(cli(*command, "--format", "json"), 69, "DB_001")
    assert "app.db" in err["message"]
    assert digest(db) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["app.db", "schemas"]


def test_zero_byte_file_is_an_empty_database(cli, shipped_schemas: Path, tmp_path: Path) -> None:
    (tmp_path / "app.db").write_bytes(b"")
    assert_ok(cli("check", "--format", "json"), 1)
    assert (tmp_path / "app.db").stat().st_size == 0
    assert_ok(cli("init", "--format", "json"))
    assert_ok(cli("validate", "--format", "json"))


@pytest.mark.parametrize(
    "command", [["repair", "--yes"], ["inspect"], ["history"]], ids=lambda c: c[0]
)
def test_database_is_a_folder_other_commands(
    cli, shipped_schemas: Path, tmp_path: Path, command: list[str]
) -> None:
    """check/init/validate are in test_exit_codes; the other commands too."""
    (tmp_path / "data.db").mkdir()
    assert_error(cli(*command, "--format", "json", "-d", "data.db"), 69, "DB_001")
    assert list((tmp_path / "data.db").iterdir()) == []


@pytest.mark.parametrize("command", ALL_COMMANDS, ids=lambda c: c[0])
def test_database_is_a_fifo_does_not_hang(
    shipped_schemas: Path, tmp_path: Path, command: list[str]
) -> None:
    os.mkfifo(tmp_path / "app.db")
    res = run_proc(tmp_path, *command, "--format", "json", timeout=30)
    assert_error(res, 69, "DB_001")
    assert stat.S_ISFIFO((tmp_path / "app.db").stat().st_mode)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["app.db", "schemas"]


@pytest.mark.parametrize("command", [["check"], ["init"], ["validate"]], ids=lambda c: c[0])
def test_database_path_is_a_symlink_loop(
    cli, shipped_schemas: Path, tmp_path: Path, command: list[str]
) -> None:
    (tmp_path / "app.db").symlink_to("app.db")
    err = assert_error(cli(*command, "--format", "json"), 69, "DB_001")
    assert "app.db" in err["message"]
    assert (tmp_path / "app.db").is_symlink()


@pytest.mark.parametrize("command", [["check"], ["init"], ["validate"]], ids=lambda c: c[0])
def test_database_name_too_long(
    cli, shipped_schemas: Path, tmp_path: Path, command: list[str]
) -> None:
    """A file name over NAME_MAX cannot exist nor be created: 69 (or 73 for init)."""
    res = cli(*command, "--format", "json", "-d", "x" * 300 + ".db")
    assert_clean(res)
    allowed = {"init": (69, 73)}.get(command[0], (69,))
    assert res.exit_code in allowed, res.stdout
    assert sorted(p.name for p in tmp_path.iterdir()) == ["schemas"]


def test_schema_folder_name_too_long(cli, tmp_path: Path) -> None:
    """A schema folder that cannot exist is a missing input (66)."""
    for command in (["check"], ["init"], ["validate", "--schema-only"]):
        assert_error(cli(*command, "--format", "json", "-s", "s" * 300), 66, "DB_004")
    assert list(tmp_path.iterdir()) == []


WAL_APP = """
import sqlite3, sys, time
conn = sqlite3.connect(sys.argv[1], isolation_level=None)
conn.execute("PRAGMA wal_autocheckpoint = 0")
conn.execute("BEGIN")
conn.execute("CREATE TABLE posts (id INTEGER PRIMARY KEY, body TEXT)")
conn.executemany("INSERT INTO users (email) VALUES (?)", [(f"c{i}@x.io",) for i in range(500)])
conn.execute("COMMIT")
conn.execute("PRAGMA cache_size = 5")  # spill uncommitted pages into the WAL
conn.execute("BEGIN")
conn.execute("CREATE TABLE ghost (x)")
conn.executemany("INSERT INTO users (email) VALUES (?)", [(f"u{i}@x.io" + "p" * 500,) for i in range(3000)])
print("ready", flush=True)
time.sleep(600)
"""


def test_wal_left_by_a_crashed_app(tmp_path: Path) -> None:
    """The app committed `posts` and 500 rows into the WAL (never checkpointed),
    then died inside a bigger transaction. check and init see exactly the
    committed state; nothing uncommitted resurfaces."""
    write_schema(
        tmp_path / "schemas",
        {
            "x.sql": USERS
            + "CREATE TABLE posts (id INTEGER PRIMARY KEY, body TEXT);\n"
            + "CREATE TABLE tags (id INTEGER PRIMARY KEY, label TEXT);\n"
        },
    )
    db = tmp_path / "app.db"
    make_users_db(db)
    conn = sqlite3.connect(db)
    assert conn.execute("PRAGMA journal_mode = WAL").fetchone()[0] == "wal"
    conn.close()
    app_proc = subprocess.Popen(
        [sys.executable, "-c", WAL_APP, str(db)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert app_proc.stdout is not None
        assert app_proc.stdout.readline().strip() == "ready"
    finally:
        app_proc.send_signal(signal.SIGKILL)
        app_proc.wait(timeout=10)
    wal = Path(f"{db}-wal")
    assert wal.exists() and wal.stat().st_size > 100_000

    res = run_proc(tmp_path, "check", "--format", "json", timeout=30)
    doc = assert_ok(res, 1)
    assert {c["name"] for c in doc["changes"]} == {"tags"}

    res = run_proc(tmp_path, "init", "--format", "json", timeout=30)
    doc = assert_ok(res)
    assert {c["name"] for c in doc["changes"]} == {"tags"}

    assert integrity(db) == "ok"
    conn = sqlite3.connect(db)
    (count,) = conn.execute("SELECT count(*) FROM users").fetchone()
    names = {r[0] for r in conn.execute("SELECT name FROM sqlite_schema WHERE type = 'table'")}
    conn.close()
    assert count == len(USERS_ROWS) + 500
    assert {"users", "posts", "tags"} <= names
    assert "ghost" not in names
    assert_ok(run_proc(tmp_path, "check", "--format", "json", timeout=30))


def test_non_utf8_paths(tmp_path: Path) -> None:
    """Folder and file names that are not UTF-8 (b'caf\\xe9'), for the database
    and for the schema folder, in JSON and text, with a UTF-8 locale."""
    cafe, data_dir, new_dir = (os.fsdecode(b) for b in (b"caf\xe9", b"data\xff", b"new\xff"))
    schema_dir = f"{cafe}/{os.fsdecode(b'sch' + bytes([0xE9]) + b'mas')}"
    bad_dir = f"{cafe}/{os.fsdecode(b'bad' + bytes([0xFE]))}"
    bad_file = os.fsdecode(b"x" + bytes([0xE9]) + b".sql")
    database = f"{cafe}/{data_dir}/app.db"
    shutil.copytree(SHIPPED_SCHEMAS, tmp_path / schema_dir)
    env = child_env(LC_ALL="C.UTF-8")
    where = ("-d", database, "-s", schema_dir)

    doc = assert_ok(run_proc(tmp_path, "check", *where, "--format", "json", env=env), 1)
    assert doc["changes"]
    assert not (tmp_path / cafe / data_dir).exists()
    assert_ok(run_proc(tmp_path, "init", *where, "--format", "json", env=env))
    assert (tmp_path / database).is_file()
    for command in ("check", "validate", "inspect", "history"):
        assert_ok(run_proc(tmp_path, command, *where, "--format", "json", env=env))
        text = run_proc(tmp_path, command, *where, "--format", "text", env=env)
        assert_clean(text)
        assert text.exit_code == 0, text.stderr
    assert len(history_ids(tmp_path / database)) == 1

    # A schema error in a non-UTF-8 file name is reported with that name and line.
    (tmp_path / bad_dir).mkdir()
    (tmp_path / bad_dir / bad_file).write_bytes(b"CREATE TABLE a (x);\nDROP TABLE users;\n")
    fresh = ("-d", f"{cafe}/{new_dir}/app.db", "-s", bad_dir)
    for fmt in ("json", "text"):
        res = run_proc(tmp_path, "init", *fresh, "--format", fmt, env=env)
        assert_clean(res)
        assert res.exit_code == 65, res.stdout
        if fmt == "json":
            assert f"{bad_dir}/{bad_file}:2: DROP" in res.json()["error"]["message"]
    assert not (tmp_path / cafe / new_dir).exists()


def history_ids(db: Path) -> list[tuple[Any, ...]]:
    conn = sqlite3.connect(db)
    try:
        return conn.execute("SELECT id FROM _dbinit_history").fetchall()
    finally:
        conn.close()


# --- 7e. identifiers that need quoting -------------------------------------------------

AWKWARD = ["order", 'a"b', "select", "with space", "café", "数据", "it's", "[br]", "`bt`"]


def _column_ref(name: str, style: int) -> str:
    """The same name written in each quoting style SQLite accepts."""
    if style == 1 and "]" not in name:
        return f"[{name}]"
    if style == 2:
        return "`" + name.replace("`", "``") + "`"
    return q(name)


def _awkward_schema(name: str, col_type: str) -> str:
    t, c = q(name), _column_ref(name, 1)
    return (
        f"CREATE TABLE {t} (id INTEGER PRIMARY KEY, {c} {col_type},"
        f" note TEXT DEFAULT 'it''s; DROP TABLE users; --');\n"
        f"CREATE INDEX {q('ix ' + name)} ON {t} ({_column_ref(name, 2)});\n"
        f"CREATE VIEW {q('v ' + name)} AS SELECT {c} FROM {t};\n"
        f"CREATE TRIGGER {q('tr ' + name)} AFTER INSERT ON {t} BEGIN\n"
        f"  UPDATE {t} SET {c} = {c} WHERE id = new.id;\nEND;\n"
    )


@pytest.mark.parametrize("name", AWKWARD)
def test_identifiers_that_need_quoting(cli, tmp_path: Path, name: str) -> None:
    write_schema(
        tmp_path / "schemas", {"001_users.sql": USERS, "002_x.sql": _awkward_schema(name, "TEXT")}
    )
    db = make_users_db(tmp_path / "app.db")
    doc = assert_ok(cli("init", "--format", "json"))
    assert {c["name"] for c in doc["changes"]} == {name, f"ix {name}", f"v {name}", f"tr {name}"}
    assert_ok(cli("check", "--format", "json"))
    assert_ok(cli("validate", "--format", "json"))
    conn = sqlite3.connect(db)
    conn.executemany(
        f"INSERT INTO {q(name)} (id, {q(name)}) VALUES (?, ?)",
        [(i, str(i * 7)) for i in range(1, 21)],
    )
    conn.commit()
    conn.close()

    # A type change on the awkward column: a rebuild that keeps every row.
    write_schema(
        tmp_path / "schemas",
        {"001_users.sql": USERS, "002_x.sql": _awkward_schema(name, "INTEGER")},
    )
    assert_ok(cli("check", "--format", "json"), 1)
    doc = assert_ok(cli("repair", "--yes", "--format", "json"))
    assert doc["status"] == "applied"
    assert_ok(cli("check", "--format", "json"))
    conn = sqlite3.connect(db)
    rows = conn.execute(
        f"SELECT id, {q(name)}, typeof({q(name)}), note FROM {q(name)} ORDER BY id"
    ).fetchall()
    conn.close()
    assert rows == [(i, i * 7, "integer", "it's; DROP TABLE users; --") for i in range(1, 21)]
    assert users_rows(db) == USERS_ROWS
    assert integrity(db) == "ok"
    assert objects(db) == {
        ("table", "users"),
        ("table", "_dbinit_history"),
        ("table", "_dbinit_state"),
        ("table", name),
        ("index", f"ix {name}"),
        ("view", f"v {name}"),
        ("trigger", f"tr {name}"),
    }


CASE_ONLY = [
    (
        "ascii",
        "CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT);"
        "CREATE INDEX users_email ON users (email);"
        "CREATE VIEW uv AS SELECT email FROM users;"
        "CREATE TABLE posts (id INTEGER PRIMARY KEY, uid INTEGER REFERENCES users (id));"
        "CREATE TRIGGER ut AFTER INSERT ON users BEGIN SELECT 1; END;",
        "CREATE TABLE Users (ID INTEGER PRIMARY KEY, Email TEXT);"
        "CREATE INDEX USERS_EMAIL ON USERS (EMAIL);"
        "CREATE VIEW Uv AS SELECT email FROM users;"
        "CREATE TABLE POSTS (Id INTEGER PRIMARY KEY, UID INTEGER REFERENCES USERS (Id));"
        "CREATE TRIGGER uT AFTER INSERT ON Users BEGIN SELECT 1; END;",
    ),
    (
        "ascii-in-unicode",
        'CREATE TABLE "Café" ("数据x" TEXT);',
        'CREATE TABLE "cAFé" ("数据X" TEXT);',
    ),
]


@pytest.mark.parametrize(
    ("live", "declared"), [c[1:] for c in CASE_ONLY], ids=[c[0] for c in CASE_ONLY]
)
def test_ascii_case_only_differences_are_not_drift(
    cli, tmp_path: Path, live: str, declared: str
) -> None:
    write_schema(tmp_path / "schemas", {"x.sql": declared})
    db = make_db(tmp_path / "app.db", live)
    before = digest(db)
    for command in (
        ["check"],
        ["validate"],
        ["init"],
        ["repair", "--yes", "--allow-data-loss", "--prune"],
    ):
        doc = assert_ok(cli(*command, "--format", "json"))
        assert doc["changes"] == [], (command, doc["changes"])
        assert doc["status"] == "in_sync"
    assert digest(db) == before


def test_non_ascii_case_differences_are_different_names(cli, tmp_path: Path) -> None:
    """SQLite folds ASCII only: `cafÉ` and `café` are two tables."""
    write_schema(tmp_path / "schemas", {"x.sql": 'CREATE TABLE "cafÉ" (x TEXT);'})
    make_db(tmp_path / "app.db", 'CREATE TABLE "café" (x TEXT);')
    doc = assert_ok(cli("check", "--format", "json"), 1)
    assert {(c["kind"], c["name"]) for c in doc["changes"]} == {
        ("missing_table", "cafÉ"),
        ("extra_table", "café"),
    }


# --- 9. injection ------------------------------------------------------------------------

EVIL_TABLE = 'x"; DROP TABLE users; --'
EVIL_COLUMN = 'a" TEXT); DROP TABLE users; --'
EVIL_INDEX = 'ix"]; DROP TABLE users; --'
EVIL_VIEW = "v'); DROP TABLE users; --"
EVIL_TRIGGER = '[tr]"; DROP TABLE users; /*'
EVIL_DEFAULT = "'); DROP TABLE users; --"


def _evil_schema(col_type: str) -> str:
    return (
        USERS
        + f"CREATE TABLE {q(EVIL_TABLE)} (\n"
        + "    id INTEGER PRIMARY KEY,\n"
        + f"    {q(EVIL_COLUMN)} {col_type},\n"
        + f"    note TEXT DEFAULT '{EVIL_DEFAULT.replace(chr(39), chr(39) * 2)}'\n"
        + ");\n"
        + f"CREATE INDEX {q(EVIL_INDEX)} ON {q(EVIL_TABLE)} ({q(EVIL_COLUMN)});\n"
        + f"CREATE VIEW {q(EVIL_VIEW)} AS SELECT {q(EVIL_COLUMN)} FROM {q(EVIL_TABLE)};\n"
        + f"CREATE TRIGGER {q(EVIL_TRIGGER)} AFTER INSERT ON {q(EVIL_TABLE)} BEGIN\n"
        + f"  UPDATE {q(EVIL_TABLE)} SET note = note WHERE id = new.id;\nEND;\n"
    )


EVIL_OBJECTS = {
    ("table", "users"),
    ("table", "_dbinit_history"),
    ("table", "_dbinit_state"),
    ("table", EVIL_TABLE),
    ("index", EVIL_INDEX),
    ("view", EVIL_VIEW),
    ("trigger", EVIL_TRIGGER),
}


def test_injection_through_declared_names(cli, tmp_path: Path) -> None:
    write_schema(tmp_path / "schemas", {"x.sql": _evil_schema("TEXT")})
    db = make_users_db(tmp_path / "app.db")
    assert_ok(cli("init", "--format", "json"))
    assert_ok(cli("check", "--format", "json"))
    assert_ok(cli("validate", "--format", "json"))
    assert objects(db) == EVIL_OBJECTS
    assert users_rows(db) == USERS_ROWS
    conn = sqlite3.connect(db)
    conn.executemany(
        f"INSERT INTO {q(EVIL_TABLE)} (id, {q(EVIL_COLUMN)}) VALUES (?, ?)", [(1, "10"), (2, "20")]
    )
    conn.commit()
    conn.close()

    write_schema(tmp_path / "schemas", {"x.sql": _evil_schema("INTEGER")})
    doc = assert_ok(cli("repair", "--yes", "--format", "json"))
    assert doc["status"] == "applied"
    assert_ok(cli("check", "--format", "json"))
    assert objects(db) == EVIL_OBJECTS
    assert users_rows(db) == USERS_ROWS
    conn = sqlite3.connect(db)
    rows = conn.execute(
        f"SELECT id, {q(EVIL_COLUMN)}, typeof({q(EVIL_COLUMN)}), note FROM {q(EVIL_TABLE)}"
    ).fetchall()
    conn.execute(f"INSERT INTO {q(EVIL_TABLE)} (id) VALUES (3)")
    (default,) = conn.execute(f"SELECT note FROM {q(EVIL_TABLE)} WHERE id = 3").fetchone()
    conn.close()
    assert rows == [(1, 10, "integer", EVIL_DEFAULT), (2, 20, "integer", EVIL_DEFAULT)]
    assert default == EVIL_DEFAULT
    assert integrity(db) == "ok"


LIVE_ONLY_NAMES = [
    'x"; DROP TABLE users; --',
    "y'); DROP TABLE users; --",
    "[z]]; DROP TABLE users",
    "`w``; DROP TABLE users",
    "*/ DROP TABLE users /*",
    "a\nb",
    " ",
    "",
    "%_",
]


def test_injection_through_live_only_names_dropped_by_repair(cli, tmp_path: Path) -> None:
    write_schema(tmp_path / "schemas", {"x.sql": USERS})
    db = make_users_db(tmp_path / "app.db")
    conn = sqlite3.connect(db)
    conn.execute(f"ALTER TABLE users ADD COLUMN {q(EVIL_COLUMN)} TEXT DEFAULT 'z'")
    for n in LIVE_ONLY_NAMES:
        conn.execute(f"CREATE TABLE {q(n)} (id INTEGER PRIMARY KEY, {q(n)} TEXT)")
        conn.execute(f"CREATE INDEX {q('ix' + n)} ON {q(n)} ({q(n)})")
        conn.execute(f"CREATE INDEX {q('uix' + n)} ON users (email, {q(EVIL_COLUMN)})")
        conn.execute(f"CREATE VIEW {q('v' + n)} AS SELECT * FROM users")
        conn.execute(f"CREATE TRIGGER {q('tr' + n)} AFTER UPDATE ON users BEGIN SELECT 1; END")
    conn.commit()
    conn.close()
    before = digest(db)

    doc = assert_ok(cli("check", "--format", "json"))  # extra objects are warnings
    listed = {(c["kind"], c["name"]) for c in doc["changes"]}
    assert {("extra_table", n) for n in LIVE_ONLY_NAMES} <= listed
    assert ("extra_column", EVIL_COLUMN) in listed
    assert {("extra_index", "uix" + n) for n in LIVE_ONLY_NAMES} <= listed
    assert {("extra_view", "v" + n) for n in LIVE_ONLY_NAMES} <= listed
    assert {("extra_trigger", "tr" + n) for n in LIVE_ONLY_NAMES} <= listed
    # kept without --prune (nothing written); --prune alone needs --allow-data-loss
    assert assert_ok(cli("repair", "--yes", "--format", "json"))["applied"] == []
    assert_error(cli("repair", "--yes", "--prune", "--format", "json"), 3, "DB_007")
    assert digest(db) == before

    res = cli("repair", "--yes", "--allow-data-loss", "--prune", "--format", "json")
    assert_ok(res)
    assert objects(db) == {
        ("table", "users"),
        ("table", "_dbinit_history"),
        ("table", "_dbinit_state"),
    }
    assert users_rows(db) == USERS_ROWS
    assert integrity(db) == "ok"
    assert_ok(cli("validate", "--format", "json"))


def test_injection_through_rename_hints(cli, tmp_path: Path) -> None:
    old_table, old_column = 'old"; DROP TABLE users; --', "c'); DROP TABLE users; --"
    new_table = 'new "t"'
    db = make_users_db(
        tmp_path / "app.db",
        f"CREATE TABLE {q(old_table)} (id INTEGER PRIMARY KEY, {q(old_column)} TEXT);"
        f"INSERT INTO {q(old_table)} VALUES (7, 'seven');",
    )
    write_schema(
        tmp_path / "schemas",
        {
            "x.sql": USERS
            + f"-- dbinit: renamed-from={q(old_table)}\n"
            + f"CREATE TABLE {q(new_table)} (\n"
            + "    id INTEGER PRIMARY KEY,\n"
            + f'    "new c" TEXT -- dbinit: renamed-from={q(old_column)}\n'
            + ");\n"
        },
    )
    doc = assert_ok(cli("repair", "--yes", "--format", "json"))
    assert {c["kind"] for c in doc["changes"]} == {"table_renamed", "column_renamed"}
    assert_ok(cli("check", "--format", "json"))
    assert objects(db) == {
        ("table", "users"),
        ("table", "_dbinit_history"),
        ("table", "_dbinit_state"),
        ("table", new_table),
    }
    assert users_rows(db) == USERS_ROWS
    conn = sqlite3.connect(db)
    assert conn.execute(f'SELECT id, "new c" FROM {q(new_table)}').fetchall() == [(7, "seven")]
    conn.close()


# --- 6. permissions (as an unprivileged user) ------------------------------------------


@pytest.fixture
def as_nobody(nobody_dbinit: list[str]) -> Any:
    """Run dbinit as a user who owns none of the test files (see `nobody_dbinit`)."""

    def run(cwd: Path, *args: str) -> Result:
        try:
            proc = subprocess.run(
                [*nobody_dbinit, *args, "--format", "json"],
                cwd=cwd,
                env=child_env(),
                capture_output=True,
                timeout=120,
            )
        except subprocess.TimeoutExpired as exc:
            pytest.fail(f"dbinit {' '.join(args)} hung: no answer after 120 s ({exc})")
        return Result(
            proc.returncode,
            proc.stdout.decode("utf-8", "surrogateescape"),
            proc.stderr.decode("utf-8", "surrogateescape"),
        )

    return run


@pytest.fixture
def shared_folder() -> Iterator[Path]:
    """A folder under /tmp the unprivileged user can enter (tmp_path is 0700)."""
    folder = Path(tempfile.mkdtemp(prefix="dbinit-hostile-", dir="/tmp"))
    folder.chmod(0o755)
    write_schema(
        folder / "schemas",
        {"001_users.sql": USERS + "CREATE TABLE tags (id INTEGER PRIMARY KEY, label TEXT);\n"},
    )
    for p in [folder / "schemas", *(folder / "schemas").iterdir()]:
        p.chmod(0o755 if p.is_dir() else 0o644)
    try:
        yield folder
    finally:
        for p in [folder, *folder.rglob("*")]:
            if p.is_dir() and not p.is_symlink():
                p.chmod(0o755)
        shutil.rmtree(folder)


def _listing(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))


def test_read_only_database_file_reads_still_work(as_nobody: Any, shared_folder: Path) -> None:
    """test_exit_codes covers `init` on a read-only file; the rest of the commands here."""
    db = make_users_db(shared_folder / "app.db")  # `tags` is missing: a safe change
    db.chmod(0o444)
    shared_folder.chmod(0o777)
    before, files = digest(db), _listing(shared_folder)
    assert_ok(as_nobody(shared_folder, "check"), 1)
    assert_ok(as_nobody(shared_folder, "validate"), 1)
    assert_ok(as_nobody(shared_folder, "inspect"))
    assert_ok(as_nobody(shared_folder, "history"))
    assert_ok(as_nobody(shared_folder, "repair", "--dry-run"))
    err = assert_error(as_nobody(shared_folder, "repair", "--yes"), 77, "DB_003")
    assert "app.db" in err["message"]
    shared_folder.chmod(0o555)  # and with the folder read-only too
    assert_error(as_nobody(shared_folder, "init"), 77, "DB_003")
    assert_ok(as_nobody(shared_folder, "check"), 1)
    assert digest(db) == before
    assert _listing(shared_folder) == files


def test_read_only_wal_database_in_read_only_folder(as_nobody: Any, shared_folder: Path) -> None:
    """SQLite needs a -shm file to read a WAL database; when it cannot make one,
    check still answers (in sync/drift) or says permission denied — never 69/70."""
    db = make_users_db(shared_folder / "app.db")
    conn = sqlite3.connect(db)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.close()
    db.chmod(0o444)
    shared_folder.chmod(0o555)
    before = digest(db)
    for command in ("check", "validate"):
        res = as_nobody(shared_folder, command)
        assert_clean(res)
        assert res.exit_code in (0, 1, 77), res.stdout
        if res.exit_code == 77:
            assert res.json()["error"]["error_code"] == "DB_003"
    assert_error(as_nobody(shared_folder, "init"), 77, "DB_003")
    assert digest(db) == before
    assert _listing(shared_folder) == ["app.db", "schemas", "schemas/001_users.sql"]


def test_read_only_folder_with_a_writable_database_says_it_is_the_folder(
    as_nobody: Any, shared_folder: Path
) -> None:
    """A write needs its rollback journal next to the database: the folder is what
    is read-only, not the database file, and the message says so."""
    db = make_users_db(shared_folder / "app.db")  # `tags` is missing: a safe change
    db.chmod(0o666)
    shared_folder.chmod(0o555)
    before, files = digest(db), _listing(shared_folder)
    for command in (["init"], ["repair", "--yes", "--no-backup"]):
        err = assert_error(as_nobody(shared_folder, *command), 77, "DB_003")
        message = err["message"]
        assert "folder" in message and "journal" in message, message
        assert not message.startswith("Database app.db is read-only"), message
    db.chmod(0o444)  # the file itself read-only: then the file is named
    err = assert_error(as_nobody(shared_folder, "init"), 77, "DB_003")
    assert "journal" not in err["message"] and "app.db" in err["message"], err
    assert digest(db) == before
    assert _listing(shared_folder) == files


def test_read_only_folder_without_database(as_nobody: Any, shared_folder: Path) -> None:
    """test_exit_codes covers `init` here; check, repair and a read-only subfolder."""
    (shared_folder / "sub").mkdir(mode=0o555)
    (shared_folder / "sub").chmod(0o555)
    shared_folder.chmod(0o555)
    files = _listing(shared_folder)
    assert_ok(as_nobody(shared_folder, "check"), 1)
    assert_error(as_nobody(shared_folder, "repair", "--yes"), 77, "DB_003")
    assert_error(as_nobody(shared_folder, "init", "-d", "sub/app.db"), 77, "DB_003")
    assert_error(as_nobody(shared_folder, "repair", "--yes", "-d", "sub/app.db"), 77, "DB_003")
    assert _listing(shared_folder) == files


@pytest.mark.parametrize("command", [["init"], ["repair", "--yes"]], ids=lambda c: c[0])
def test_database_folder_cannot_be_created(
    as_nobody: Any, shared_folder: Path, command: list[str]
) -> None:
    shared_folder.chmod(0o555)
    files = _listing(shared_folder)
    res = as_nobody(shared_folder, *command, "-d", "newdir/deeper/app.db")
    err = assert_error(res, 73, "DB_009")
    assert "newdir" in err["message"]
    assert _listing(shared_folder) == files


def _repair_setup(folder: Path) -> tuple[Path, str]:
    db = make_users_db(folder / "app.db")  # `tags` is missing: repair has work
    db.chmod(0o666)
    folder.chmod(0o777)
    return db, digest(db) or ""


def test_repair_backup_folder_not_writable(as_nobody: Any, shared_folder: Path) -> None:
    """An existing backup folder the user cannot write: permission denied (77,
    DB_003: a file that cannot be created in an existing folder); nothing changed."""
    db, before = _repair_setup(shared_folder)
    (shared_folder / "backups").mkdir()
    (shared_folder / "backups").chmod(0o555)
    files = _listing(shared_folder)
    res = as_nobody(shared_folder, "repair", "--yes", "--backup-dir", "backups")
    err = assert_error(res, 77, "DB_003")
    assert "backups" in err["message"]
    assert digest(db) == before
    assert _listing(shared_folder) == files


def test_repair_backup_folder_cannot_be_created(as_nobody: Any, shared_folder: Path) -> None:
    """A backup folder whose parent is read-only cannot be made: 73 (DB_009)."""
    db, before = _repair_setup(shared_folder)
    (shared_folder / "locked").mkdir()
    (shared_folder / "locked").chmod(0o555)
    files = _listing(shared_folder)
    res = as_nobody(shared_folder, "repair", "--yes", "--backup-dir", "locked/backups")
    err = assert_error(res, 73, "DB_009")
    assert "locked/backups" in err["message"]
    assert digest(db) == before
    assert _listing(shared_folder) == files


# --- 8. secrets -----------------------------------------------------------------------------

SECRETS = ("s3cr3t-pw", "hunter2", "topsecret-xyz", "pw-in-dotenv")
SECRET_RUNS = [
    ["check"],
    ["init", "--dry-run"],
    ["init"],
    ["validate"],
    ["repair", "--dry-run"],
    ["repair", "--yes", "--allow-data-loss", "--prune"],
    ["inspect"],
    ["history"],
]
LOGGING = ("--log-format", "json", "--log-level", "debug")


def _assert_no_secret(*texts: str) -> None:
    for text in texts:
        for secret in SECRETS:
            assert secret not in text, (secret, text)


def _history_text(db: Path) -> str:
    conn = sqlite3.connect(db)
    try:
        return json.dumps(conn.execute("SELECT * FROM _dbinit_history").fetchall())
    finally:
        conn.close()


def test_secrets_never_leak(cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Another engine's DATABASE_URL (PostgreSQL's would be used: postgres.md).
    monkeypatch.setenv("DATABASE_URL", "mysql://admin:s3cr3t-pw@db.example/app")
    (tmp_path / ".env").write_text(
        "SECRET_KEY=topsecret-xyz\nDATABASE_URL=mysql://u:pw-in-dotenv@h/d\n"
    )
    write_schema(tmp_path / "schemas", {"x.sql": USERS + "CREATE TABLE t (x TEXT);\n"})
    for fmt in ("json", "text"):
        for command in SECRET_RUNS:
            res = cli(*command, "--format", fmt, *LOGGING)
            assert_clean(res)
            assert res.exit_code in (0, 1, 3), (command, res.stdout, res.stderr)
            _assert_no_secret(res.stdout, res.stderr)
            if fmt == "json":
                res.json()
        # A type change, so the second round's repair rebuilds and history gets a row.
        write_schema(tmp_path / "schemas", {"x.sql": USERS + "CREATE TABLE t (x INTEGER);\n"})
    db = tmp_path / "app.db"
    history = _history_text(db)
    assert '"init"' in history and '"repair"' in history
    _assert_no_secret(history)

    # An invalid sqlite URL with a password: exit 78, masked everywhere.
    monkeypatch.setenv("DBINIT_DATABASE_URL", "sqlite+pysqlite://user:hunter2@/app.db")
    for fmt in ("json", "text"):
        for command in SECRET_RUNS:
            res = cli(*command, "--format", fmt, *LOGGING)
            assert_clean(res)
            assert res.exit_code == 78, (command, res.stdout)
            _assert_no_secret(res.stdout, res.stderr)
            if fmt == "json":
                err = res.json()["error"]
                assert err["error_code"] == "DB_008"
                assert "database" in err["message"]
                assert "***" in res.json()["database"]
    assert _history_text(db) == history


AWKWARD_PASSWORDS = [
    # Well-formed libpq URI with the password in the query string.
    ("query-password", "postgresql://db.example/app?user=admin&password=hunter2"),
    # Passwords pasted without percent-encoding (a common mistake).
    ("raw-at-sign", "postgres://admin:p@hunter2@db.example/app"),
    ("raw-slash", "postgres://admin:hunter2/x@db.example/app"),
]


@pytest.mark.parametrize("via", ["env", "option"])
@pytest.mark.parametrize(
    "url", [c[1] for c in AWKWARD_PASSWORDS], ids=[c[0] for c in AWKWARD_PASSWORDS]
)
def test_awkward_passwords_are_masked_too(
    cli, shipped_schemas: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, url: str, via: str
) -> None:
    args: list[str] = []
    if via == "env":
        monkeypatch.setenv("DBINIT_DATABASE_URL", url)
    else:
        args = ["--database", url]
    res = cli("init", "--format", "json", *LOGGING, *args, env={"DBINIT_RETRY_ATTEMPTS": "0"})
    # A PostgreSQL URL libpq can parse names a server that does not answer (69);
    # one it cannot parse is a configuration error (78).
    assert res.exit_code in (69, 78), res.stdout
    assert_error(res, res.exit_code, "DB_001" if res.exit_code == 69 else "DB_008")
    _assert_no_secret(res.stdout, res.stderr)


# --- 7f. malformed settings ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "content"),
    [
        (".env", "DBINIT_DATABASE_URL=app\x00.db\n"),
        (".env", "DBINIT_DATABASE_URL=sqlite:///data/app\x00.db\n"),
        ("pyproject.toml", '[tool.dbinit]\ndatabase_url = "app\\u0000.db"\n'),
    ],
    ids=["dotenv-path", "dotenv-url", "pyproject"],
)
def test_nul_in_database_setting_is_a_config_error(
    cli, shipped_schemas: Path, tmp_path: Path, source: str, content: str
) -> None:
    (tmp_path / source).write_text(content)
    for command in ("check", "init", "validate"):
        err = assert_error(cli(command, "--format", "json"), 78, "DB_008")
        assert "database" in err["message"]
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([source, "schemas"])


@pytest.mark.parametrize(
    ("source", "content", "named"),
    [
        (".env", b"SECRET_KEY=topsecret-xyz\xff\nDBINIT_FORMAT=json\n", ".env"),
        ("pyproject.toml", b'[tool.dbinit]\ndatabase_url = "sqlite:///app.db\n', "pyproject.toml"),
        ("pyproject.toml", b"[tool.dbinit]\ndatabase_url = ['a']\n", "database_url"),
    ],
    ids=["dotenv-not-utf8", "pyproject-broken-toml", "pyproject-wrong-type"],
)
def test_unreadable_settings_file_is_a_config_error_naming_it(
    cli, shipped_schemas: Path, tmp_path: Path, source: str, content: bytes, named: str
) -> None:
    (tmp_path / source).write_bytes(content)
    res = cli("init", "--format", "json")
    err = assert_error(res, 78, "DB_008")
    _assert_no_secret(res.stdout, res.stderr)
    assert not (tmp_path / "app.db").exists()
    assert named in err["message"] + (err["details"] or ""), err
