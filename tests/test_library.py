"""Library use (docs/library.md): `ensure_database_ready` and `DbInitError`."""

from __future__ import annotations

import logging
import sqlite3
from pathlib import Path

import pytest
import structlog

import dbinit
from tests.conftest import digest, make_db, write_schema


def test_ensure_database_ready_creates_and_returns_the_report(
    shipped_schemas: Path, tmp_path: Path
) -> None:
    db = tmp_path / "data" / "app.db"
    report = dbinit.ensure_database_ready(
        database=f"sqlite:///{db}", schema_dir=str(shipped_schemas)
    )
    assert report.status == "applied" and report.exit_code == 0
    assert report.to_dict()["command"] == "init"
    conn = sqlite3.connect(db)
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_schema WHERE type = 'table'")}
    conn.close()
    assert {"users", "portfolio_snapshots"} <= tables
    again = dbinit.ensure_database_ready(database=db, schema_dir=shipped_schemas)
    assert again.status == "in_sync" and again.applied == []


def test_errors_are_raised_with_their_contract_fields(tmp_path: Path) -> None:
    db = make_db(tmp_path / "app.db", "CREATE TABLE t (a TEXT);")
    folder = write_schema(tmp_path / "schemas", {"001.sql": "CREATE TABLE t (a INTEGER);"})
    before = digest(db)
    with pytest.raises(dbinit.DbInitError) as err:
        dbinit.ensure_database_ready(database=str(db), schema_dir=str(folder))
    assert err.value.error_code == "DB_007"
    assert err.value.exit_code == 3
    assert err.value.retry_after is None
    assert set(err.value.to_dict()) == {"error", "message", "details", "retry_after", "error_code"}
    assert digest(db) == before


def test_settings_still_come_from_the_environment(
    monkeypatch: pytest.MonkeyPatch, shipped_schemas: Path, tmp_path: Path
) -> None:
    monkeypatch.setenv("DBINIT_DATABASE_URL", f"sqlite:///{tmp_path / 'env.db'}")
    report = dbinit.ensure_database_ready()
    assert report.status == "applied"
    assert (tmp_path / "env.db").exists()


def test_host_logging_is_left_alone(
    shipped_schemas: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    """With structlog unconfigured, events go to stdlib logging ("dbinit"), never stdout,
    and neither structlog's nor logging's configuration is changed."""
    structlog.reset_defaults()
    root_handlers = list(logging.getLogger().handlers)
    with caplog.at_level(logging.INFO, logger="dbinit"):
        dbinit.ensure_database_ready(database=str(tmp_path / "app.db"))
    out = capsys.readouterr()
    assert out.out == ""
    events = [r.getMessage().split()[0] for r in caplog.records if r.name == "dbinit"]
    assert "schema.loaded" in events and "apply.committed" in events
    assert not structlog.is_configured()
    assert logging.getLogger().handlers == root_handlers


def test_a_host_that_configured_structlog_gets_the_events(
    shipped_schemas: Path, tmp_path: Path
) -> None:
    seen: list[dict] = []

    def capture(_, __, event_dict):
        seen.append(dict(event_dict))
        raise structlog.DropEvent

    structlog.configure(processors=[capture])
    dbinit.ensure_database_ready(database=str(tmp_path / "app.db"))
    assert any(e["event"] == "verify.done" for e in seen)
    assert structlog.get_config()["processors"] == [capture]
