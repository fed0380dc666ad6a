"""Output (docs/exit-codes.md, the JSON report and logs): one JSON document on stdout, JSON log lines on stderr,
`--quiet`, and what `check`, `init --dry-run` and a repeated `init` write.
"""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import dbinit
from tests.conftest import SHIPPED_SCHEMAS, Result, digest, make_db, write_schema

REPORT_KEYS = {
    "dbinit_version",
    "command",
    "database",
    "schema_dir",
    "status",
    "exit_code",
    "changes",
    "applied",
    "backup",
    "checks",
    "error",
    "duration_ms",
}
CHANGE_KEYS = {"kind", "object", "name", "table", "column", "safety", "detail", "sql"}
KINDS = {
    "missing_table",
    "extra_table",
    "missing_column",
    "extra_column",
    "column_changed",
    "table_changed",
    "missing_index",
    "extra_index",
    "index_changed",
    "missing_view",
    "extra_view",
    "view_changed",
    "missing_trigger",
    "extra_trigger",
    "trigger_changed",
    "table_renamed",
    "column_renamed",
}
STATUSES = {"in_sync", "drift", "planned", "applied", "refused", "error"}
LEVELS = {"debug", "info", "warning", "error", "critical"}
ISO_UTC = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$")
USERS_ONLY = """
CREATE TABLE users (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    email TEXT UNIQUE NOT NULL,
    password_hash TEXT NOT NULL,
    created_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP,
    updated_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP
);
INSERT INTO users (email, password_hash) VALUES ('a@x.io', 'h1');
"""


def shipped_sql() -> str:
    return "\n".join(p.read_text() for p in sorted(SHIPPED_SCHEMAS.glob("*.sql")))


def check_report(res: Result, command: str) -> dict[str, Any]:
    """stdout is exactly one JSON document with every contract key, well typed."""
    doc = json.loads(res.stdout)  # the whole stdout, nothing before or after
    assert isinstance(doc, dict)
    assert set(doc) >= REPORT_KEYS, REPORT_KEYS - set(doc)
    assert doc["dbinit_version"] == dbinit.__version__
    assert doc["command"] == command
    assert isinstance(doc["database"], str)
    assert isinstance(doc["schema_dir"], str)
    assert doc["status"] in STATUSES
    assert doc["exit_code"] == res.exit_code
    assert isinstance(doc["changes"], list)
    assert isinstance(doc["applied"], list)
    assert all(isinstance(s, str) for s in doc["applied"])
    assert doc["backup"] is None or isinstance(doc["backup"], str)
    assert isinstance(doc["checks"], dict)
    assert {"integrity", "foreign_keys"} <= set(doc["checks"])
    assert isinstance(doc["duration_ms"], int | float) and doc["duration_ms"] >= 0
    for change in doc["changes"]:
        assert set(change) >= CHANGE_KEYS, change
        assert change["kind"] in KINDS
        assert change["safety"] in {"safe", "rebuild", "destructive"}
        assert isinstance(change["table"], str) and change["table"]
        assert isinstance(change["sql"], list)
    if res.exit_code == 0:
        assert doc["error"] is None
    if doc["error"] is not None:
        assert set(doc["error"]) == {"error", "message", "details", "retry_after", "error_code"}
        assert doc["status"] in {"error", "refused"}
    return doc


def log_lines(stderr: str) -> list[dict[str, Any]]:
    """Every stderr line is one JSON log entry with event, level and UTC timestamp."""
    entries = []
    for line in stderr.splitlines():
        if not line.strip():
            continue
        entry = json.loads(line)
        assert isinstance(entry, dict), line
        assert isinstance(entry.get("event"), str) and entry["event"], line
        assert entry.get("level") in LEVELS, line
        assert ISO_UTC.match(str(entry.get("timestamp"))), line
        entries.append(entry)
    return entries


# --- one JSON document for every command and outcome ------------------------------


def _in_sync(tmp: Path) -> None:
    make_db(tmp / "app.db", shipped_sql())


def _partial(tmp: Path) -> None:
    make_db(tmp / "app.db", USERS_ONLY)


def _fresh(tmp: Path) -> None:
    pass


def _no_schemas(tmp: Path) -> None:
    import shutil

    shutil.rmtree(tmp / "schemas")


def _rebuild(tmp: Path) -> None:
    make_db(tmp / "app.db", USERS_ONLY.replace("password_hash TEXT", "password_hash BLOB"))


def _extra(tmp: Path) -> None:
    make_db(tmp / "app.db", shipped_sql() + "\nCREATE TABLE legacy (x);")


def _lint(tmp: Path) -> None:
    write_schema(tmp / "schemas", {"001.sql": "CREATE VIEW v AS SELECT * FROM nowhere;"})


def _syntax(tmp: Path) -> None:
    write_schema(tmp / "schemas", {"001.sql": "CREATE TABLE t (id INTEGER,);"})


def _garbage(tmp: Path) -> None:
    (tmp / "app.db").write_bytes(b"not a database" * 500)


SCENARIOS: list[tuple[str, Callable[[Path], None], list[str], int, str]] = [
    ("check", _in_sync, [], 0, "in_sync"),
    ("check", _partial, [], 1, "drift"),
    ("check", _fresh, [], 1, "drift"),
    ("check", _extra, [], 0, "in_sync"),
    ("check", _no_schemas, [], 66, "error"),
    ("check", _syntax, [], 65, "error"),
    ("check", _garbage, [], 69, "error"),
    ("check", _fresh, ["--database", "mysql://u:p@h/d"], 78, "error"),
    ("init", _fresh, [], 0, "applied"),
    ("init", _partial, [], 0, "applied"),
    ("init", _in_sync, [], 0, "in_sync"),
    ("init", _fresh, ["--dry-run"], 0, "planned"),
    ("init", _rebuild, [], 3, "refused"),
    ("init", _no_schemas, [], 66, "error"),
    ("init", _fresh, ["--timeout", "0"], 2, "error"),
    ("validate", _in_sync, [], 0, "in_sync"),
    ("validate", _fresh, ["--schema-only"], 0, "in_sync"),
    ("validate", _partial, [], 1, "drift"),
    ("validate", _extra, [], 1, "drift"),
    ("validate", _lint, [], 65, "error"),
    ("validate", _garbage, [], 69, "error"),
]


@pytest.mark.parametrize(
    ("command", "setup", "args", "exit_code", "status"),
    SCENARIOS,
    ids=[f"{c}-{s.__name__.strip('_')}-{x}" for c, s, _, x, _ in SCENARIOS],
)
def test_json_report_is_one_document(
    cli,
    shipped_schemas: Path,
    tmp_path: Path,
    command: str,
    setup: Callable[[Path], None],
    args: list[str],
    exit_code: int,
    status: str,
) -> None:
    setup(tmp_path)
    res = cli(command, "--format", "json", *args)
    assert res.exit_code == exit_code, (res.stdout, res.stderr)
    doc = check_report(res, command)
    assert doc["status"] == status
    assert (doc["error"] is None) == (status not in ("error", "refused"))
    assert "Traceback" not in res.stderr
    log_lines(res.stderr)


def test_change_entries_name_their_table(cli, tmp_path: Path) -> None:
    """Index and trigger changes name the table they are on; column changes the column."""
    write_schema(
        tmp_path / "schemas",
        {
            "001.sql": "CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT, note TEXT);\n"
            "CREATE INDEX items_by_name ON items (name);\n"
            "CREATE TABLE audit (item_id INTEGER);\n"
            "CREATE TRIGGER items_audit AFTER INSERT ON items\n"
            "BEGIN INSERT INTO audit VALUES (new.id); END;\n"
        },
    )
    make_db(
        tmp_path / "app.db",
        "CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT);"
        "CREATE TABLE audit (item_id INTEGER);",
    )
    res = cli("check", "--format", "json")
    assert res.exit_code == 1, (res.stdout, res.stderr)
    doc = check_report(res, "check")
    by_kind = {c["kind"]: c for c in doc["changes"]}
    assert set(by_kind) == {"missing_column", "missing_index", "missing_trigger"}
    column = by_kind["missing_column"]
    assert (column["table"], column["column"], column["safety"]) == ("items", "note", "safe")
    assert any("ADD COLUMN" in s.upper() for s in column["sql"])
    assert by_kind["missing_index"]["name"] == "items_by_name"
    assert by_kind["missing_index"]["table"] == "items"
    assert by_kind["missing_trigger"]["name"] == "items_audit"
    assert by_kind["missing_trigger"]["table"] == "items"
    assert "001.sql:2" in by_kind["missing_index"]["detail"]


def test_view_change_names_the_table_it_is_on(cli, tmp_path: Path) -> None:
    """docs/exit-codes.md (JSON report): for a view, `table` is the table it is on (not the view's own name)."""
    write_schema(
        tmp_path / "schemas",
        {
            "001.sql": "CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT);\n"
            "CREATE VIEW item_names AS SELECT name FROM items;\n"
        },
    )
    make_db(tmp_path / "app.db", "CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT);")
    res = cli("check", "--format", "json")
    assert res.exit_code == 1, (res.stdout, res.stderr)
    [change] = check_report(res, "check")["changes"]
    assert (change["kind"], change["name"]) == ("missing_view", "item_names")
    assert change["table"] == "items"


def test_text_report_shows_sql_as_written(cli, tmp_path: Path) -> None:
    """Change descriptions quote the schema as its author wrote it: no tokenizer
    artifacts such as `< =` or `NUMERIC ( 10 , 2 )`, and the column is named."""
    write_schema(
        tmp_path / "schemas",
        {"001.sql": "CREATE TABLE t (a NUMERIC(12,2), b INT, z INT, CHECK (b <= 5));\n"},
    )
    make_db(tmp_path / "app.db", "CREATE TABLE t (a NUMERIC(10,2), z INT, CHECK (z>=0));")
    res = cli("check")
    assert res.exit_code == 1, (res.stdout, res.stderr)
    out = res.stdout
    assert "type NUMERIC(10,2) → NUMERIC(12,2)" in out, out
    assert "CHECK: CHECK (z>=0) → CHECK (b <= 5)" in out, out
    assert "cannot add column b:" in out, out
    for artifact in ("< =", "> =", "( 10 , 2 )", ":b"):
        assert artifact not in out, (artifact, out)


def test_extra_objects_are_listed_by_check(cli, shipped_schemas: Path, tmp_path: Path) -> None:
    make_db(tmp_path / "app.db", shipped_sql() + "\nCREATE TABLE legacy (x);")
    res = cli("check", "--format", "json")
    assert res.exit_code == 0, (res.stdout, res.stderr)
    changes = check_report(res, "check")["changes"]
    assert [(c["kind"], c["name"], c["safety"]) for c in changes] == [
        ("extra_table", "legacy", "destructive")
    ]


# --- logs on stderr ---------------------------------------------------------------


def test_init_logs_each_step_as_json_lines(cli, shipped_schemas: Path) -> None:
    res = cli("init", "--format", "json")
    assert res.exit_code == 0, (res.stdout, res.stderr)
    applied = check_report(res, "init")["applied"]
    entries = log_lines(res.stderr)
    events = [e["event"] for e in entries]
    for needed in (
        "schema.loaded",
        "database.opened",
        "diff.computed",
        "apply.statement",
        "apply.committed",
        "verify.done",
    ):
        assert needed in events, events
    assert events.count("apply.statement") == len(applied) == 3
    order = [
        events.index(e)
        for e in ("schema.loaded", "apply.statement", "apply.committed", "verify.done")
    ]
    assert order == sorted(order)
    assert all(e["level"] == e["level"].lower() for e in entries)


def test_check_logs_are_json_lines_in_text_mode(cli, shipped_schemas: Path, tmp_path: Path) -> None:
    make_db(tmp_path / "app.db", USERS_ONLY)
    res = cli("check")
    assert res.exit_code == 1, (res.stdout, res.stderr)
    events = [e["event"] for e in log_lines(res.stderr)]
    assert {"schema.loaded", "database.opened", "diff.computed"} <= set(events)
    # stdout carries the report only: no log line leaked there.
    assert not any(line.lstrip().startswith('{"') for line in res.stdout.splitlines())
    assert "portfolio_snapshots" in res.stdout


def test_log_level_filters_stderr(cli, shipped_schemas: Path) -> None:
    res = cli("init", "--format", "json", "--log-level", "warning")
    assert res.exit_code == 0, (res.stdout, res.stderr)
    levels = {e["level"] for e in log_lines(res.stderr)}
    assert levels <= {"warning", "error", "critical"}


def test_error_logs_carry_no_traceback(cli, tmp_path: Path) -> None:
    write_schema(tmp_path / "schemas", {"001.sql": "CREATE TABLE t (id INTEGER,);"})
    res = cli("init", "--format", "json")
    assert res.exit_code == 65, (res.stdout, res.stderr)
    entries = log_lines(res.stderr)
    assert entries
    assert "Traceback" not in res.stderr
    assert not any("traceback" in e or "exception" in e for e in entries)


# --- --quiet ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("command", "setup"),
    [("check", _in_sync), ("init", _fresh), ("init", _in_sync), ("validate", _in_sync)],
    ids=["check-in-sync", "init-applied", "init-in-sync", "validate-in-sync"],
)
def test_quiet_text_prints_only_the_verdict_on_success(
    cli, shipped_schemas: Path, tmp_path: Path, command: str, setup: Callable[[Path], None]
) -> None:
    setup(tmp_path)
    res = cli(command, "--quiet")
    assert res.exit_code == 0, (res.stdout, res.stderr)
    assert res.stdout.startswith("✓ ") and res.stdout.count("\n") == 1, res.stdout
    assert res.stderr == ""


def test_quiet_text_still_reports_errors(cli, tmp_path: Path) -> None:
    res = cli("init", "--quiet")
    assert res.exit_code == 66, (res.stdout, res.stderr)
    assert "DB_004" in res.stdout


# --- check never writes -------------------------------------------------------------


@pytest.mark.parametrize(
    "database",
    [None, "nested/deeper/app.db", "sqlite:///nested/deeper/app.db"],
    ids=["default", "nested-path", "nested-url"],
)
@pytest.mark.parametrize("command", ["check", "validate"])
def test_read_only_commands_never_create_the_database(
    cli, shipped_schemas: Path, tmp_path: Path, command: str, database: str | None
) -> None:
    before = sorted(p.name for p in tmp_path.iterdir())
    args = [command, "--format", "json"] + (["--database", database] if database else [])
    res = cli(*args)
    assert res.exit_code == 1, (res.stdout, res.stderr)
    assert not (tmp_path / "app.db").exists()
    assert not (tmp_path / "nested").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == before


def test_check_leaves_an_existing_database_untouched(
    cli, shipped_schemas: Path, tmp_path: Path
) -> None:
    db = make_db(tmp_path / "app.db", USERS_ONLY)
    before = digest(db)
    res = cli("check", "--format", "json")
    assert res.exit_code == 1, (res.stdout, res.stderr)
    assert digest(db) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["app.db", "schemas"]


# --- init --dry-run -----------------------------------------------------------------


def test_dry_run_on_a_fresh_folder_writes_nothing(
    cli, shipped_schemas: Path, tmp_path: Path
) -> None:
    res = cli("init", "--dry-run", "--format", "json", "--database", "data/app.db")
    assert res.exit_code == 0, (res.stdout, res.stderr)
    doc = check_report(res, "init")
    assert doc["status"] == "planned"
    assert doc["applied"] == []
    assert {c["name"] for c in doc["changes"]} == {
        "users",
        "portfolio_snapshots",
        "idx_portfolio_snapshots_user_created",
    }
    for change in doc["changes"]:
        assert change["sql"], change
        assert all(s.upper().startswith("CREATE") for s in change["sql"])
    assert not (tmp_path / "data").exists()


def test_dry_run_on_an_existing_database_writes_nothing(
    cli, shipped_schemas: Path, tmp_path: Path
) -> None:
    db = make_db(tmp_path / "app.db", USERS_ONLY)
    before = digest(db)
    res = cli("init", "--dry-run", "--format", "json")
    assert res.exit_code == 0, (res.stdout, res.stderr)
    doc = check_report(res, "init")
    assert doc["status"] == "planned"
    assert {c["name"] for c in doc["changes"]} == {
        "portfolio_snapshots",
        "idx_portfolio_snapshots_user_created",
    }
    assert all(c["sql"] for c in doc["changes"])
    assert digest(db) == before
    assert "apply.statement" not in {e["event"] for e in log_lines(res.stderr)}


def test_dry_run_text_shows_the_sql(cli, shipped_schemas: Path, tmp_path: Path) -> None:
    res = cli("init", "--dry-run")
    assert res.exit_code == 0, (res.stdout, res.stderr)
    assert "CREATE TABLE users" in res.stdout
    assert "CREATE INDEX" in res.stdout
    # The plan is printed whole: no SQL or file:line cut off with an ellipsis.
    assert "…" not in res.stdout, res.stdout
    assert "schemas/002_portfolio.sql:11" in res.stdout
    assert not (tmp_path / "app.db").exists()


# --- init is idempotent -------------------------------------------------------------


def history_rows(db: Path) -> list[tuple[Any, ...]]:
    conn = sqlite3.connect(db)
    try:
        return conn.execute("SELECT * FROM _dbinit_history").fetchall()
    finally:
        conn.close()


def test_init_is_idempotent(cli, shipped_schemas: Path, tmp_path: Path) -> None:
    db = tmp_path / "app.db"
    first = cli("init", "--format", "json")
    assert first.exit_code == 0, (first.stdout, first.stderr)
    assert check_report(first, "init")["status"] == "applied"
    assert len(history_rows(db)) == 1
    after_first = digest(db)

    second = cli("init", "--format", "json")
    assert second.exit_code == 0, (second.stdout, second.stderr)
    doc = check_report(second, "init")
    assert doc["status"] == "in_sync"
    assert doc["applied"] == []
    assert doc["changes"] == []
    assert digest(db) == after_first
    assert len(history_rows(db)) == 1

    third = cli("check", "--format", "json")
    assert third.exit_code == 0, (third.stdout, third.stderr)
    assert check_report(third, "check")["changes"] == []
