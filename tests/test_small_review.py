"""Small review fixes: what a drift run logs, an ignored DATABASE_URL, validate's hint."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import make_db, write_schema

SCHEMA = {"001.sql": "CREATE TABLE t (id INTEGER PRIMARY KEY);\n"}


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    write_schema(tmp_path / "schemas", SCHEMA)
    return tmp_path


def events(stderr: str) -> list[dict[str, object]]:
    return [json.loads(line) for line in stderr.splitlines() if line.startswith("{")]


def test_drift_logs_command_done_at_info(cli, project: Path) -> None:
    make_db(project / "app.db", "CREATE TABLE other (id INTEGER PRIMARY KEY);")
    res = cli("check", "--log-format", "json")
    assert res.exit_code == 1
    done = [e for e in events(res.stderr) if e["event"] == "command.done"]
    assert done and done[0]["level"] == "info", done


@pytest.mark.parametrize(
    "url", ["libsql://db-org.turso.io?authToken=s3cret", "mysql://u:s3cret@host/db"]
)
@pytest.mark.parametrize("where", ["environment", ".env"])
def test_an_unsupported_database_url_is_ignored_with_a_warning(
    cli, project: Path, url: str, where: str
) -> None:
    env = {"DATABASE_URL": url} if where == "environment" else {}
    if where == ".env":
        (project / ".env").write_text(f"DATABASE_URL={url}\n")
    res = cli("check", "--log-format", "json", env=env)
    assert res.exit_code == 1  # app.db is missing: drift
    warned = [e for e in events(res.stderr) if e["event"] == "settings.database_url_ignored"]
    assert warned and warned[0]["level"] == "warning", res.stderr
    assert "DATABASE_URL" in str(warned[0]["message"])
    assert "ignored" in res.stdout and "DATABASE_URL" in res.stdout  # the report's note
    assert "s3cret" not in res.stdout + res.stderr
    assert "turso.io" not in res.stdout + res.stderr and "host/db" not in res.stdout


def test_a_sqlite_database_url_is_not_warned_about(cli, project: Path) -> None:
    res = cli("check", "--log-format", "json", env={"DATABASE_URL": "sqlite:///x.db"})
    assert "database_url_ignored" not in res.stderr


def test_validate_suggests_inspect_for_extra_objects(cli, project: Path) -> None:
    make_db(
        project / "app.db",
        SCHEMA["001.sql"] + "CREATE TABLE app_cache (k TEXT);",
    )
    res = cli("validate")
    assert res.exit_code == 1
    assert "dbinit inspect" in res.stdout, res.stdout
