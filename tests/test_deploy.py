"""`dbinit deploy`: the deploy steps for where it runs, chosen by the engine.

SQLite on a volume: the database step (`init`, then `validate`) in the start
command, the schema lint (`validate --schema-only`) in the pre-deploy command.
An engine whose database step belongs in the pre-deploy command (PostgreSQL)
runs `init` then `validate` there; the choice goes through the backend seam,
tested here by giving the SQLite backend the other answer.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from dbinit.sqlite.backend import SqliteBackend
from tests.conftest import digest, make_db, tables, write_schema


def json_lines(text: str) -> list[dict[str, Any]]:
    events = [json.loads(line) for line in text.splitlines() if line.strip()]
    assert all(isinstance(e, dict) for e in events)
    return events


def steps(doc: dict[str, Any]) -> list[tuple[str, int]]:
    return [(s["command"], s["exit_code"]) for s in doc["steps"]]


def test_start_command_runs_init_then_validate(cli: Any, shipped_schemas: Path) -> None:
    res = cli("deploy", "--format", "json")
    assert res.exit_code == 0, (res.stdout, res.stderr)
    doc = res.json()
    assert doc["command"] == "deploy"
    assert doc["phase"] == "start"
    assert doc["database_step"] == "start"
    assert steps(doc) == [("init", 0), ("validate", 0)]
    assert doc["steps"][0]["status"] == "applied"
    assert doc["status"] == "applied"
    assert doc["exit_code"] == 0
    assert doc["error"] is None
    assert {"users", "portfolio_snapshots"} <= tables(Path("app.db"))
    # JSON logs by default, as Railway's log view wants them.
    done = [e for e in json_lines(res.stderr) if e["event"] == "command.done"]
    assert [(e["command"], e["exit_code"]) for e in done] == [("init", 0), ("validate", 0)]

    again = cli("deploy", "--format", "json")
    assert again.exit_code == 0, again.stdout
    assert [s["status"] for s in again.json()["steps"]] == ["in_sync", "in_sync"]
    assert again.json()["status"] == "in_sync"


def test_pre_deploy_on_sqlite_only_lints_and_touches_no_database(
    cli: Any, shipped_schemas: Path
) -> None:
    res = cli("deploy", "--pre-deploy", "--format", "json")
    assert res.exit_code == 0, (res.stdout, res.stderr)
    doc = res.json()
    assert doc["phase"] == "pre-deploy"
    assert steps(doc) == [("validate", 0)]
    assert doc["steps"][0]["checks"]["integrity"] == "skipped"
    assert digest(Path("app.db")) is None


def test_pre_deploy_stops_a_broken_schema_with_65(cli: Any, tmp_path: Path) -> None:
    write_schema(
        tmp_path / "schemas", {"001.sql": "CREATE TABLE t (id INTEGER PRIMARY KEY,, x);\n"}
    )
    res = cli("deploy", "--pre-deploy", "--format", "json")
    assert res.exit_code == 65, res.stdout
    doc = res.json()
    assert doc["exit_code"] == 65
    assert doc["status"] == "error"
    assert doc["error"]["error_code"] == doc["steps"][0]["error"]["error_code"]
    assert "001.sql:1" in doc["error"]["message"]
    assert digest(Path("app.db")) is None


def test_the_first_failing_exit_code_is_kept_and_later_steps_skipped(
    cli: Any, shipped_schemas: Path
) -> None:
    assert cli("deploy").exit_code == 0
    portfolio = shipped_schemas / "002_portfolio.sql"
    portfolio.write_text(
        portfolio.read_text(encoding="utf-8").replace(
            "snapshot_data TEXT NOT NULL", "snapshot_data BLOB NOT NULL"
        ),
        encoding="utf-8",
    )
    before = digest(Path("app.db"))
    res = cli("deploy", "--format", "json")
    assert res.exit_code == 3, res.stdout
    doc = res.json()
    assert steps(doc) == [("init", 3)]  # validate never ran
    assert doc["status"] == "refused"
    assert doc["error"]["error_code"] == "DB_007"
    assert digest(Path("app.db")) == before


def test_validate_failure_passes_through(cli: Any, tmp_path: Path) -> None:
    write_schema(
        tmp_path / "schemas", {"001.sql": "CREATE TABLE users (id INTEGER PRIMARY KEY);\n"}
    )
    make_db(tmp_path / "app.db", "CREATE TABLE leftovers (id INTEGER PRIMARY KEY);")
    res = cli("deploy", "--format", "json")
    assert res.exit_code == 1, res.stdout
    doc = res.json()
    assert steps(doc) == [("init", 0), ("validate", 1)]
    assert doc["status"] == "drift"


def test_text_report_shows_each_step(cli: Any, shipped_schemas: Path) -> None:
    res = cli("deploy", "--log-format", "json")
    assert res.exit_code == 0, res.stdout
    assert "dbinit init" in res.stdout
    assert "dbinit validate" in res.stdout
    assert "Applied" in res.stdout


def test_the_engine_decides_where_the_database_step_runs(
    cli: Any, shipped_schemas: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An engine whose database step belongs in the pre-deploy command (as
    PostgreSQL's does) runs init then validate there, and in the start command too."""
    monkeypatch.setattr(SqliteBackend, "database_step", "pre-deploy", raising=True)
    res = cli("deploy", "--pre-deploy", "--format", "json")
    assert res.exit_code == 0, (res.stdout, res.stderr)
    doc = res.json()
    assert doc["database_step"] == "pre-deploy"
    assert steps(doc) == [("init", 0), ("validate", 0)]
    assert {"users", "portfolio_snapshots"} <= tables(Path("app.db"))
    res = cli("deploy", "--format", "json")
    assert res.exit_code == 0
    assert steps(res.json()) == [("init", 0), ("validate", 0)]


def test_a_bad_database_setting_is_one_report(cli: Any, shipped_schemas: Path) -> None:
    res = cli("deploy", "--format", "json", "--database", "mysql://u:secret@h/db")
    assert res.exit_code == 78, res.stdout
    doc = res.json()
    assert doc["error"]["error_code"] == doc["steps"][0]["error"]["error_code"]
    assert "secret" not in res.stdout + res.stderr


@pytest.mark.parametrize("args", [("--pre-deploy", "extra"), ("--schema-only",), ("--bogus",)])
def test_misuse_is_a_usage_error(cli: Any, shipped_schemas: Path, args: tuple[str, ...]) -> None:
    res = cli("deploy", *args, "--format", "json")
    assert res.exit_code == 2, res.stdout
    assert res.json()["error"]["message"].startswith("usage:")
    assert digest(Path("app.db")) is None


def test_the_database_is_a_real_sqlite_file(cli: Any, shipped_schemas: Path) -> None:
    assert cli("deploy").exit_code == 0
    conn = sqlite3.connect("app.db")
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    finally:
        conn.close()
