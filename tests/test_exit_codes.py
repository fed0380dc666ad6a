"""Every exit code of docs/exit-codes.md that `check`, `init` and `validate` can reach.

Each failing case also proves nothing was written: the database file is
byte-identical (sha256) or was never created, and no folder appeared.
"""

from __future__ import annotations

import os
import resource
import shutil
import sqlite3
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import (
    SHIPPED_SCHEMAS,
    USERS_ONLY,
    Result,
    digest,
    make_db,
    tables,
    write_schema,
)

COMMANDS = ["check", "init", "validate"]
ERROR_KEYS = {"error", "message", "details", "retry_after", "error_code"}
ERROR_NAMES = {
    "DB_001": "connection_error",
    "DB_002": "database_locked",
    "DB_003": "permission_error",
    "DB_004": "schema_error",
    "DB_005": "data_error",
    "DB_006": "integrity_error",
    "DB_007": "refused",
    "DB_008": "config_error",
    "DB_009": "io_error",
    "DB_010": "internal_error",
}


def shipped_sql() -> str:
    return "\n".join(p.read_text() for p in sorted(SHIPPED_SCHEMAS.glob("*.sql")))


def assert_error(res: Result, exit_code: int, error_code: str) -> dict[str, Any]:
    """The report is one JSON document carrying the contract's error shape."""
    assert res.exit_code == exit_code, (res.stdout, res.stderr)
    doc = res.json()
    assert doc["exit_code"] == exit_code
    assert doc["status"] == ("refused" if error_code == "DB_007" else "error")
    err = doc["error"]
    assert isinstance(err, dict), doc
    assert set(err) == ERROR_KEYS
    assert err["error_code"] == error_code, err
    assert err["error"] == ERROR_NAMES[error_code], err
    assert isinstance(err["message"], str) and err["message"]
    assert "Traceback" not in res.stderr
    assert "Traceback" not in res.stdout
    return err


def listing(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))


# --- 0 ------------------------------------------------------------------------


@pytest.mark.parametrize("command", COMMANDS)
def test_exit_0_in_sync(cli, shipped_schemas: Path, tmp_path: Path, command: str) -> None:
    make_db(tmp_path / "app.db", shipped_sql())
    before = digest(tmp_path / "app.db")
    res = cli(command, "--format", "json")
    assert res.exit_code == 0, (res.stdout, res.stderr)
    doc = res.json()
    assert doc["status"] == "in_sync"
    assert doc["error"] is None
    assert digest(tmp_path / "app.db") == before


def test_exit_0_init_applied(cli, shipped_schemas: Path, tmp_path: Path) -> None:
    res = cli("init", "--format", "json")
    assert res.exit_code == 0, (res.stdout, res.stderr)
    assert res.json()["status"] == "applied"
    assert {"users", "portfolio_snapshots"} <= tables(tmp_path / "app.db")


# --- 1 ------------------------------------------------------------------------


@pytest.mark.parametrize("command", ["check", "validate"])
def test_exit_1_missing_table(cli, shipped_schemas: Path, tmp_path: Path, command: str) -> None:
    db = make_db(tmp_path / "app.db", USERS_ONLY)
    before = digest(db)
    res = cli(command, "--format", "json")
    assert res.exit_code == 1, (res.stdout, res.stderr)
    doc = res.json()
    assert doc["status"] == "drift"
    assert "portfolio_snapshots" in {c["name"] for c in doc["changes"]}
    assert digest(db) == before


def test_exit_1_check_missing_database_is_drift(cli, shipped_schemas: Path, tmp_path: Path) -> None:
    res = cli("check", "--format", "json")
    assert res.exit_code == 1, (res.stdout, res.stderr)
    assert res.json()["error"] is None
    assert not (tmp_path / "app.db").exists()


def test_exit_1_validate_extra_table_unless_allowed(
    cli, shipped_schemas: Path, tmp_path: Path
) -> None:
    db = make_db(tmp_path / "app.db", shipped_sql() + "\nCREATE TABLE leftovers (x);")
    before = digest(db)
    res = cli("validate", "--format", "json")
    assert res.exit_code == 1, (res.stdout, res.stderr)
    assert "leftovers" in {c["name"] for c in res.json()["changes"]}
    res = cli("validate", "--format", "json", "--allow-extra")
    assert res.exit_code == 0, (res.stdout, res.stderr)
    # check treats extra objects as warnings.
    res = cli("check", "--format", "json")
    assert res.exit_code == 0, (res.stdout, res.stderr)
    assert digest(db) == before


def test_exit_1_validate_foreign_key_violation(cli, shipped_schemas: Path, tmp_path: Path) -> None:
    db = make_db(
        tmp_path / "app.db",
        shipped_sql()
        + "\nINSERT INTO portfolio_snapshots (user_id, snapshot_data)"
        + " VALUES ('ghost@x.io', '{}');",
    )
    before = digest(db)
    err = assert_error(cli("validate", "--format", "json"), 1, "DB_005")
    assert "portfolio_snapshots" in err["message"]
    assert digest(db) == before


def test_exit_1_validate_integrity_failure(cli, tmp_path: Path) -> None:
    schema = (
        "CREATE TABLE t (id INTEGER PRIMARY KEY, label TEXT);\nCREATE INDEX t_label ON t(label);"
    )
    write_schema(tmp_path / "schemas", {"001.sql": schema})
    db = tmp_path / "app.db"
    conn = sqlite3.connect(db)
    conn.executescript(schema)
    conn.executemany("INSERT INTO t (label) VALUES (?)", [(f"marker-{i:04d}",) for i in range(20)])
    conn.commit()
    root = conn.execute("SELECT rootpage FROM sqlite_schema WHERE name = 't_label'").fetchone()[0]
    page_size = conn.execute("PRAGMA page_size").fetchone()[0]
    conn.close()
    # Change one entry of the index only: the table row no longer has its index entry.
    data = bytearray(db.read_bytes())
    start = (root - 1) * page_size
    at = data.find(b"marker-0005", start, start + page_size)
    assert at != -1
    data[at + len("marker-000")] = ord("9")
    db.write_bytes(bytes(data))
    before = digest(db)

    res = cli("validate", "--format", "json", "--integrity", "full")

    err = assert_error(res, 1, "DB_006")
    assert "t_label" in err["message"] + (err["details"] or "")
    assert res.json()["checks"]["integrity"] == "failed"
    assert digest(db) == before


# --- 2 ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "args",
    [
        ["check", "--bogus"],
        ["init", "--no-such-option"],
        ["--bogus", "validate"],
        ["validate", "--integrity", "sometimes"],
        ["check", "--database"],
        ["frobnicate"],
    ],
    ids=["check-unknown", "init-unknown", "root-unknown", "bad-choice", "missing-value", "command"],
)
def test_exit_2_usage_error(cli, shipped_schemas: Path, tmp_path: Path, args: list[str]) -> None:
    before = listing(tmp_path)
    res = cli(*args)
    assert res.exit_code == 2, (res.stdout, res.stderr)
    assert "Traceback" not in res.stderr
    assert "Usage" in res.stderr or "Error" in res.stderr
    assert listing(tmp_path) == before


# --- 3 ------------------------------------------------------------------------

REBUILDS = [
    # (id, live SQL, declared SQL, words the message must name)
    (
        "column-type",
        "CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT, price TEXT);",
        "CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT, price REAL);",
        ("items", "price"),
    ),
    (
        "not-null",
        "CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT, price REAL);",
        "CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT, price REAL NOT NULL);",
        ("items", "price"),
    ),
    (
        "column-not-last",
        "CREATE TABLE items (id INTEGER PRIMARY KEY, price REAL);",
        "CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT, price REAL);",
        ("items", "name"),
    ),
    (
        "unique-column",
        "CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT, price REAL);",
        "CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT, price REAL, sku TEXT UNIQUE);",
        ("items", "sku"),
    ),
    (
        "non-constant-default",
        "CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT, price REAL);",
        "CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT, price REAL,"
        " added_at TEXT DEFAULT CURRENT_TIMESTAMP);",
        ("items", "added_at"),
    ),
    (
        "index-changed",
        "CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT, price REAL);"
        "CREATE INDEX items_by_name ON items (name);",
        "CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT, price REAL);"
        "CREATE INDEX items_by_name ON items (name, price);",
        ("items_by_name",),
    ),
]


@pytest.mark.parametrize("dry_run", [False, True], ids=["run", "dry-run"])
@pytest.mark.parametrize(
    ("live", "declared", "names"), [c[1:] for c in REBUILDS], ids=[c[0] for c in REBUILDS]
)
def test_exit_3_init_refuses_rebuild(
    cli,
    tmp_path: Path,
    live: str,
    declared: str,
    names: tuple[str, ...],
    dry_run: bool,
) -> None:
    """A pending rebuild blocks the whole plan, the safe `tags` table included."""
    tags = "CREATE TABLE tags (id INTEGER PRIMARY KEY, label TEXT);"
    write_schema(tmp_path / "schemas", {"001_items.sql": declared, "002_tags.sql": tags})
    db = make_db(
        tmp_path / "app.db",
        live + "\nINSERT INTO items (id, price) VALUES (1, '9.5'), (2, '3');",
    )
    before = digest(db)

    res = cli("init", "--format", "json", *(["--dry-run"] if dry_run else []))

    assert res.exit_code == 3, (res.stdout, res.stderr)
    assert digest(db) == before
    assert "tags" not in tables(db)
    assert not list(tmp_path.glob("app.db-*"))
    if not dry_run:
        err = assert_error(res, 3, "DB_007")
        for name in names:
            assert name in err["message"], err
        assert "dbinit repair" in err["message"]


def test_exit_3_text_mode_names_repair(cli, tmp_path: Path) -> None:
    write_schema(
        tmp_path / "schemas", {"001.sql": "CREATE TABLE items (id INTEGER PRIMARY KEY, n REAL);"}
    )
    db = make_db(tmp_path / "app.db", "CREATE TABLE items (id INTEGER PRIMARY KEY, n TEXT);")
    before = digest(db)
    res = cli("init")
    assert res.exit_code == 3, (res.stdout, res.stderr)
    assert "DB_007" in res.stdout
    assert "dbinit repair" in res.stdout
    assert digest(db) == before


# --- 65 -----------------------------------------------------------------------

FORBIDDEN = [
    # (id, file text, line of the offending statement)
    ("insert", "CREATE TABLE a (x);\n\nINSERT INTO a VALUES (1);\n", 3),
    ("drop", "-- remove the old one\nDROP TABLE users;\n", 2),
    ("pragma", "PRAGMA foreign_keys = ON;\nCREATE TABLE a (x);\n", 1),
    ("attach", "-- one\n-- two\nATTACH DATABASE 'attached.db' AS other;\n", 3),
    ("temp-table", "CREATE TABLE a (x);\nCREATE TEMP TABLE scratch (x);\n", 2),
    ("temporary-view", "\n\n\nCREATE TEMPORARY VIEW v AS SELECT 1;\n", 4),
    ("glued-drop", "-- ok\n\nCREATE TABLE a(x); DROP TABLE users\n", 3),
    ("update", "CREATE TABLE a (x);\n/* block\n comment */\nUPDATE a SET x = 1;\n", 4),
    ("delete", "CREATE TABLE a (x);\nDELETE FROM a;\n", 2),
    ("alter", "CREATE TABLE a (x);\n\nALTER TABLE a ADD COLUMN y;\n", 3),
    ("other-schema", "CREATE TABLE a (x);\nCREATE TABLE other.b (y);\n", 2),
    ("transaction", "BEGIN;\nCREATE TABLE a (x);\nCOMMIT;\n", 1),
    ("vacuum", "CREATE TABLE a (x);\nVACUUM;\n", 2),
]


@pytest.mark.parametrize("command", COMMANDS)
@pytest.mark.parametrize(
    ("text", "line"), [c[1:] for c in FORBIDDEN], ids=[c[0] for c in FORBIDDEN]
)
def test_exit_65_forbidden_statement(
    cli, tmp_path: Path, command: str, text: str, line: int
) -> None:
    write_schema(
        tmp_path / "schemas",
        {"001_users.sql": "CREATE TABLE users (id INTEGER PRIMARY KEY);", "010_bad.sql": text},
    )
    db = make_db(tmp_path / "app.db", "CREATE TABLE users (id INTEGER PRIMARY KEY);")
    before = digest(db)
    res = cli(command, "--format", "json")
    err = assert_error(res, 65, "DB_004")
    assert f"010_bad.sql:{line}" in err["message"], err
    assert digest(db) == before
    assert "a" not in tables(db)
    assert not (tmp_path / "attached.db").exists()


@pytest.mark.parametrize("command", ["init", "validate"])
def test_exit_65_creates_no_database(cli, tmp_path: Path, command: str) -> None:
    write_schema(tmp_path / "schemas", {"001.sql": "CREATE TABLE a (x);\nDROP TABLE a;\n"})
    assert_error(cli(command, "--format", "json", "-d", "fresh/app.db"), 65, "DB_004")
    assert not (tmp_path / "fresh").exists()


SYNTAX_ERRORS = [
    # (id, files, "file:line" the message must name)
    (
        "double-comma",
        {
            "010_bad.sql": "-- header\nCREATE TABLE ok (id INTEGER);\n\n"
            "CREATE TABLE broken (\n    id INTEGER,\n    name TEXT,,\n    x\n);\n"
        },
        "010_bad.sql:4",
    ),
    ("unknown-keyword", {"010_bad.sql": "\nCREATE TABLE t (id INTEGER PRIMARY KEYS);\n"}, ":2"),
    (
        "unterminated-string",
        {"010_bad.sql": "CREATE TABLE t (id INTEGER);\n\nCREATE TABLE u (x TEXT DEFAULT 'abc);\n"},
        "010_bad.sql:3",
    ),
    (
        "index-on-missing-table",
        {"010_bad.sql": "\n\nCREATE INDEX ix ON nowhere (x);\n"},
        "010_bad.sql:3",
    ),
    (
        "trigger-on-missing-table",
        {
            "010_bad.sql": "-- audit\nCREATE TRIGGER tr AFTER INSERT ON nowhere\n"
            "BEGIN\n  SELECT 1;\nEND;\n"
        },
        "010_bad.sql:2",
    ),
    (
        "duplicate-in-one-file",
        {"010_bad.sql": "CREATE TABLE a (x);\nCREATE TABLE a (y);\n"},
        "010_bad.sql:2",
    ),
    (
        "error-in-second-file",
        {
            "001_ok.sql": "CREATE TABLE ok (id INTEGER);\n",
            "sub/002_bad.sql": "\n\n\nCREATE TABLE bad (id INTEGER,);\n",
        },
        "sub/002_bad.sql:4",
    ),
    ("truncated", {"010_bad.sql": "CREATE TABLE t (\n  id INTEGER\n"}, "010_bad.sql:1"),
]


@pytest.mark.parametrize("command", COMMANDS)
@pytest.mark.parametrize(
    ("files", "where"), [c[1:] for c in SYNTAX_ERRORS], ids=[c[0] for c in SYNTAX_ERRORS]
)
def test_exit_65_syntax_error_names_file_and_line(
    cli, tmp_path: Path, command: str, files: dict[str, str], where: str
) -> None:
    write_schema(tmp_path / "schemas", files)
    db = make_db(tmp_path / "app.db", "CREATE TABLE keep (id INTEGER);")
    before = digest(db)
    err = assert_error(cli(command, "--format", "json"), 65, "DB_004")
    assert where in err["message"], err
    assert digest(db) == before


LINT = [
    # (id, files, words the message must name)
    (
        "fk-to-undeclared-table",
        {
            "001.sql": "CREATE TABLE child (id INTEGER PRIMARY KEY,"
            " parent_id INTEGER REFERENCES ghost(id));"
        },
        ("ghost",),
    ),
    (
        "fk-to-non-unique-column",
        {
            "001.sql": "CREATE TABLE parent (id INTEGER PRIMARY KEY, code TEXT);\n"
            "CREATE TABLE child (id INTEGER PRIMARY KEY, code TEXT REFERENCES parent(code));"
        },
        ("parent", "code"),
    ),
    (
        "duplicate-table-across-files",
        {
            "001_a.sql": "CREATE TABLE IF NOT EXISTS things (x);",
            "002_b.sql": "-- again\nCREATE TABLE IF NOT EXISTS things (x, y);",
        },
        ("things", "002_b.sql:2"),
    ),
    (
        "duplicate-index-across-files",
        {
            "001_a.sql": "CREATE TABLE a (x);\nCREATE TABLE b (y);\n"
            "CREATE INDEX IF NOT EXISTS ix ON a (x);",
            "002_b.sql": "CREATE INDEX IF NOT EXISTS ix ON b (y);",
        },
        ("ix",),
    ),
    (
        "view-and-table-share-a-name",
        {
            "001_a.sql": "CREATE TABLE report (x);",
            "002_b.sql": "CREATE VIEW IF NOT EXISTS report AS SELECT 1 AS x;",
        },
        ("report",),
    ),
    (
        "view-on-missing-table",
        {"001.sql": "CREATE TABLE a (x);\n\nCREATE VIEW v_missing AS SELECT * FROM nowhere;"},
        ("nowhere",),
    ),
]


@pytest.mark.parametrize("schema_only", [True, False], ids=["schema-only", "with-db"])
@pytest.mark.parametrize(("files", "names"), [c[1:] for c in LINT], ids=[c[0] for c in LINT])
def test_exit_65_validate_lint(
    cli, tmp_path: Path, files: dict[str, str], names: tuple[str, ...], schema_only: bool
) -> None:
    write_schema(tmp_path / "schemas", files)
    db = make_db(tmp_path / "app.db", "CREATE TABLE keep (id INTEGER);")
    before = digest(db)
    args = ["validate", "--format", "json"] + (["--schema-only"] if schema_only else [])
    err = assert_error(cli(*args), 65, "DB_004")
    text = err["message"] + " " + (err["details"] or "")
    for name in names:
        assert name in text, err
    assert digest(db) == before


def test_shipped_schemas_are_lint_clean(cli, shipped_schemas: Path, tmp_path: Path) -> None:
    res = cli("validate", "--schema-only", "--format", "json")
    assert res.exit_code == 0, (res.stdout, res.stderr)
    assert res.json()["error"] is None
    assert not (tmp_path / "app.db").exists()


# --- 66 -----------------------------------------------------------------------

MISSING_INPUT = [
    ("no-folder", None, []),
    ("named-folder-absent", None, ["--schema-dir", "does/not/exist"]),
    ("no-sql-files", {"README.md": "# notes", "notes.txt": "CREATE TABLE a (x);"}, []),
    ("only-comments", {"001.sql": "-- nothing yet\n/* later */\n"}, []),
    ("empty-file", {"001.sql": ""}, []),
]


@pytest.mark.parametrize("command", [*COMMANDS, "validate --schema-only"])
@pytest.mark.parametrize(
    ("files", "args"), [c[1:] for c in MISSING_INPUT], ids=[c[0] for c in MISSING_INPUT]
)
def test_exit_66_schema_input_missing(
    cli, tmp_path: Path, command: str, files: dict[str, str] | None, args: list[str]
) -> None:
    if files is not None:
        write_schema(tmp_path / "schemas", files)
    before = listing(tmp_path)
    res = cli(*command.split(), "--format", "json", "--database", "data/app.db", *args)
    assert_error(res, 66, "DB_004")
    assert listing(tmp_path) == before


@pytest.mark.parametrize("command", COMMANDS)
def test_exit_66_schema_dir_is_a_file(cli, tmp_path: Path, command: str) -> None:
    (tmp_path / "schemas").write_text("CREATE TABLE a (x);")
    before = listing(tmp_path)
    assert_error(cli(command, "--format", "json"), 66, "DB_004")
    assert listing(tmp_path) == before


# --- 69 -----------------------------------------------------------------------


def _not_a_database(path: Path) -> None:
    path.write_bytes(b"this is a text file, not a SQLite database\n" * 200)


def _corrupt(path: Path) -> None:
    make_db(path, USERS_ONLY)
    data = bytearray(path.read_bytes())
    data[100:4096] = b"\xff" * (4096 - 100)  # the sqlite_schema page
    path.write_bytes(bytes(data))


@pytest.mark.parametrize("command", COMMANDS)
@pytest.mark.parametrize("spoil", [_not_a_database, _corrupt], ids=["not-a-database", "corrupt"])
def test_exit_69_unusable_database_file(
    cli, shipped_schemas: Path, tmp_path: Path, command: str, spoil: Any
) -> None:
    db = tmp_path / "app.db"
    spoil(db)
    before = digest(db)
    err = assert_error(cli(command, "--format", "json"), 69, "DB_001")
    assert "app.db" in err["message"]
    assert digest(db) == before
    assert not list(tmp_path.glob("app.db-*"))


@pytest.mark.parametrize("command", COMMANDS)
def test_exit_69_database_path_is_a_folder(
    cli, shipped_schemas: Path, tmp_path: Path, command: str
) -> None:
    (tmp_path / "data.db").mkdir()
    assert_error(cli(command, "--format", "json", "-d", "data.db"), 69, "DB_001")
    assert list((tmp_path / "data.db").iterdir()) == []


# --- 73 -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "database",
    ["somefile.txt/sub/app.db", "somefile.txt/app.db", "sqlite:///somefile.txt/deeper/x/app.db"],
)
def test_exit_73_parent_folder_cannot_be_made(
    cli, shipped_schemas: Path, tmp_path: Path, database: str
) -> None:
    blocker = tmp_path / "somefile.txt"
    blocker.write_text("I am a regular file\n")
    before = digest(blocker)
    res = cli("init", "--format", "json", "--database", database)
    err = assert_error(res, 73, "DB_009")
    assert "somefile.txt" in err["message"]
    assert digest(blocker) == before
    assert blocker.is_file()


# --- 74 -----------------------------------------------------------------------


def test_exit_74_disk_full_during_apply_rolls_back(tmp_path: Path, shipped_schemas: Path) -> None:
    """RLIMIT_FSIZE makes the database file unable to grow: EFBIG, like a full disk."""
    db = make_db(tmp_path / "app.db", "CREATE TABLE keep (x);\nINSERT INTO keep VALUES ('row');")
    before = digest(db)
    limit = db.stat().st_size

    def cap() -> None:  # runs in the child before exec; Python ignores SIGXFSZ
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    proc = subprocess.run(
        [sys.executable, "-m", "dbinit", "init", "--format", "json"],
        cwd=tmp_path,
        env=_child_env(),
        preexec_fn=cap,
        capture_output=True,
        text=True,
        timeout=60,
    )
    res = Result(proc.returncode, proc.stdout, proc.stderr)
    assert_error(res, 74, "DB_009")
    assert digest(db) == before
    assert tables(db) == {"keep"}


# --- 75 -----------------------------------------------------------------------

HOLD_LOCK = """
import sqlite3, sys
conn = sqlite3.connect(sys.argv[1], isolation_level=None)
conn.execute("BEGIN " + sys.argv[2])
print("locked", flush=True)
sys.stdin.read()
conn.execute("ROLLBACK")
conn.close()
"""


@contextmanager
def lock_held(path: Path, mode: str = "IMMEDIATE") -> Iterator[None]:
    """Another process holds `BEGIN <mode>` on `path` until the block ends."""
    proc = subprocess.Popen(
        [sys.executable, "-c", HOLD_LOCK, str(path), mode],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        assert proc.stdout.readline().strip() == "locked"
        yield
    finally:
        assert proc.stdin is not None
        proc.stdin.close()
        proc.wait(timeout=10)


def test_exit_75_init_while_another_process_writes(
    cli, shipped_schemas: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DBINIT_RETRY_ATTEMPTS", "1")
    monkeypatch.setenv("DBINIT_RETRY_DELAY", "0.05")
    db = make_db(tmp_path / "app.db", USERS_ONLY)
    before = digest(db)
    with lock_held(db):  # held until init has answered: 75 proves it gave up
        res = cli("init", "--format", "json", "--timeout", "2")
    err = assert_error(res, 75, "DB_002")
    assert isinstance(err["retry_after"], int | float) and err["retry_after"] > 0
    assert digest(db) == before
    assert "portfolio_snapshots" not in tables(db)


def test_exit_75_check_while_another_process_holds_exclusive(
    cli, shipped_schemas: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DBINIT_RETRY_ATTEMPTS", "1")
    db = make_db(tmp_path / "app.db", USERS_ONLY)
    before = digest(db)
    with lock_held(db, "EXCLUSIVE"):
        res = cli("check", "--format", "json", "--timeout", "1")
    err = assert_error(res, 75, "DB_002")
    assert err["retry_after"]
    assert digest(db) == before


def test_exit_0_init_in_sync_database_locked_by_another_process(
    cli, shipped_schemas: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DBINIT_RETRY_ATTEMPTS", "1")
    assert cli("init", "--format", "json").exit_code == 0
    db = tmp_path / "app.db"
    before = digest(db)
    with lock_held(db):
        res = cli("init", "--format", "json", "--timeout", "2")
    assert res.exit_code == 0, (res.stdout, res.stderr)
    assert res.json()["status"] == "in_sync"
    assert digest(db) == before


# --- 77 -----------------------------------------------------------------------


def _child_env() -> dict[str, str]:
    return {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DBINIT_", "RAILWAY_")) and k not in ("DATABASE_URL", "NO_COLOR")
    }


@pytest.fixture
def unprivileged(nobody_dbinit: list[str]) -> Any:
    """Run dbinit as a user who owns none of the test files (see `nobody_dbinit`)."""

    def run(cwd: Path, *args: str) -> Result:
        proc = subprocess.run(
            [*nobody_dbinit, *args],
            cwd=cwd,
            env=_child_env(),
            capture_output=True,
            text=True,
            timeout=60,
        )
        return Result(proc.returncode, proc.stdout, proc.stderr)

    return run


@pytest.fixture
def open_folder() -> Iterator[Path]:
    """A folder the unprivileged user can enter (pytest's tmp_path is 0700)."""
    folder = Path(tempfile.mkdtemp(prefix="dbinit-perm-"))
    folder.chmod(0o755)
    shutil.copytree(SHIPPED_SCHEMAS, folder / "schemas")
    for p in (folder / "schemas").rglob("*"):
        p.chmod(0o755 if p.is_dir() else 0o644)
    (folder / "schemas").chmod(0o755)
    try:
        yield folder
    finally:
        for p in [folder, *folder.rglob("*")]:
            if p.is_dir():
                p.chmod(0o755)
        shutil.rmtree(folder)


def test_exit_77_read_only_database_file(unprivileged: Any, open_folder: Path) -> None:
    db = make_db(open_folder / "app.db", USERS_ONLY)
    db.chmod(0o444)
    open_folder.chmod(0o777)  # the folder is writable: only the file is read-only
    before = digest(db)
    err = assert_error(unprivileged(open_folder, "init", "--format", "json"), 77, "DB_003")
    assert "app.db" in err["message"]
    assert digest(db) == before
    assert not list(open_folder.glob("app.db-*"))


def test_exit_77_read_only_folder(unprivileged: Any, open_folder: Path) -> None:
    open_folder.chmod(0o555)
    assert_error(unprivileged(open_folder, "init", "--format", "json"), 77, "DB_003")
    assert not (open_folder / "app.db").exists()


@pytest.mark.parametrize("command", ["check", "validate"])
def test_exit_77_unreadable_database_file(
    unprivileged: Any, open_folder: Path, command: str
) -> None:
    db = make_db(open_folder / "app.db", USERS_ONLY)
    db.chmod(0o600)
    before = digest(db)
    assert_error(unprivileged(open_folder, command, "--format", "json"), 77, "DB_003")
    assert digest(db) == before


@pytest.mark.parametrize("what", ["folder", "file"])
def test_exit_77_unreadable_schema_files(unprivileged: Any, open_folder: Path, what: str) -> None:
    if what == "folder":
        (open_folder / "schemas").chmod(0o700)
    else:
        (open_folder / "schemas" / "002_portfolio.sql").chmod(0o600)
    assert_error(unprivileged(open_folder, "check", "--format", "json"), 77, "DB_003")
    assert not (open_folder / "app.db").exists()


# --- 78 -----------------------------------------------------------------------


@pytest.mark.parametrize("command", COMMANDS)
def test_exit_78_bad_url_scheme(cli, shipped_schemas: Path, tmp_path: Path, command: str) -> None:
    before = listing(tmp_path)
    res = cli(command, "--format", "json", "--database", "mysql://user:secret@host/db")
    err = assert_error(res, 78, "DB_008")
    assert "database" in err["message"]
    assert "secret" not in res.stdout + res.stderr
    assert listing(tmp_path) == before
