"""The FastAPI integration (`dbinit.fastapi`) on a real uvicorn server over HTTP.

Each test writes a small app module into its working folder and starts
`uvicorn` on 127.0.0.1 at a free port (tests/fastapi_server.py); requests go
through httpx. Timeouts are hang guards only.
"""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest

from dbinit import __version__
from tests.conftest import child_env, tables
from tests.fastapi_server import HANG, Server

SEED_ERROR_KEYS = {"error", "message", "details", "retry_after", "error_code"}

# The app's own logging, set up before dbinit is imported; the app can report it.
LOGGING_APP = """
import logging
import logging.config

logging.config.dictConfig({
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"app": {"format": "APPLOG %(name)s %(levelname)s %(message)s"}},
    "handlers": {"app": {"class": "logging.StreamHandler", "formatter": "app",
                         "stream": "ext://sys.stderr"}},
    "root": {"level": "INFO", "handlers": ["app"]},
})


def logging_state():
    import structlog

    out = {"structlog_configured": structlog.is_configured()}
    for name in ("", "dbinit", "uvicorn", "uvicorn.error", "fastapi"):
        lg = logging.getLogger(name)
        out[name or "root"] = {
            "level": lg.level,
            "propagate": lg.propagate,
            "disabled": lg.disabled,
            "handlers": [
                [type(h).__name__, h.level, getattr(h.formatter, "_fmt", None)]
                for h in lg.handlers
            ],
        }
    return out


BEFORE = logging_state()

from fastapi import FastAPI
from dbinit.fastapi import health_router, ready_lifespan
"""


def write_app(folder: Path, body: str) -> None:
    (folder / "app.py").write_text(LOGGING_APP + textwrap.dedent(body), encoding="utf-8")


@pytest.fixture
def servers() -> Iterator[list[Server]]:
    started: list[Server] = []
    yield started
    for server in started:
        server.stop()


def start(servers: list[Server], folder: Path, **env: str) -> Server:
    server = Server(folder, "app:app", child_env(**env))
    servers.append(server)
    return server


def test_health_503_before_init_200_after_and_503_when_the_file_goes_away(
    tmp_path: Path, shipped_schemas: Path, servers: list[Server], cli: object
) -> None:
    # Settings come from the same sources as the CLI: here a .env file.
    (tmp_path / ".env").write_text("DBINIT_DATABASE_URL=sqlite:///data/app.db\n")
    write_app(
        tmp_path,
        """
        app = FastAPI()
        app.include_router(health_router(cache_seconds=0.2))
        """,
    )
    server = start(servers, tmp_path)
    db = tmp_path / "data" / "app.db"

    before = server.get("/health/db")
    assert before.status_code == 503, before.text
    body = before.json()
    assert set(body) == SEED_ERROR_KEYS
    # A pending change has its own code: alerts tell it from a broken file (DB_004).
    assert body["error"] == "drift" and body["error_code"] == "DB_013"
    assert "not in sync" in body["message"] and "users" in body["details"]
    assert before.headers["Retry-After"] == str(body["retry_after"]) == "1"
    assert not (tmp_path / "data").exists()  # the check never creates anything

    (tmp_path / "data").mkdir()
    result = cli("init")  # type: ignore[operator]
    assert result.exit_code == 0, result.stderr
    ok = server.poll_status("/health/db", 200).json()
    assert set(ok) == {"status", "database", "checked_at", "dbinit_version"}
    assert ok["status"] == "ok"
    assert ok["database"] == "sqlite:///data/app.db"
    assert ok["dbinit_version"] == __version__
    assert datetime.fromisoformat(ok["checked_at"]).tzinfo is not None

    db.unlink()
    gone = server.poll_status("/health/db", 503).json()
    assert set(gone) == SEED_ERROR_KEYS and gone["error_code"] == "DB_013"
    assert not db.exists()


def test_health_verdict_is_cached_between_checks(
    tmp_path: Path, shipped_schemas: Path, servers: list[Server]
) -> None:
    write_app(
        tmp_path,
        """
        app = FastAPI(lifespan=ready_lifespan(database="app.db"))
        app.include_router(health_router(database="app.db", cache_seconds=3600))
        """,
    )
    server = start(servers, tmp_path)
    first = server.get("/health/db")
    assert first.status_code == 200, first.text
    (tmp_path / "app.db").unlink()
    for _ in range(20):
        again = server.get("/health/db")
        assert again.status_code == 200
        assert again.json()["checked_at"] == first.json()["checked_at"]
    # one `init` (the lifespan) and one `check`: never a check per request
    done = [line for line in server.lines if "command.done" in line]
    assert len(done) == 2, server.output
    assert "command=init" in done[0] and "command=check" in done[1]


def test_lifespan_waits_for_a_locked_database_then_serves(
    tmp_path: Path, shipped_schemas: Path, servers: list[Server]
) -> None:
    db = tmp_path / "app.db"
    holder = sqlite3.connect(db, isolation_level=None)
    holder.execute("CREATE TABLE unrelated (x)")
    holder.execute("BEGIN IMMEDIATE")  # the write lock another deploy would hold
    try:
        write_app(
            tmp_path,
            f"""
            ready = ready_lifespan(database="app.db", retry_attempts=100, retry_delay=0.05,
                                   timeout={HANG * 2})
            app = FastAPI(lifespan=ready)
            app.include_router(health_router(database="app.db", allow_extra=True))
            """,
        )
        server = start(servers, tmp_path)
        line = server.wait_line("database.busy")
        assert line.startswith("APPLOG dbinit WARNING"), line
        assert not server.accepts()  # not serving while the database is not ready
        assert server.proc.poll() is None
    finally:
        holder.execute("COMMIT")
        holder.close()
    response = server.get("/health/db")
    assert response.status_code == 200, response.text
    assert {"users", "portfolio_snapshots"} <= tables(db)


def test_lifespan_failure_stops_the_app(
    tmp_path: Path, shipped_schemas: Path, servers: list[Server]
) -> None:
    (tmp_path / "blocker").write_text("a file where the database folder should be")
    write_app(
        tmp_path,
        """
        app = FastAPI(lifespan=ready_lifespan(database="blocker/sub/app.db"))
        app.include_router(health_router(database="blocker/sub/app.db"))
        """,
    )
    server = start(servers, tmp_path)
    assert server.proc.wait(timeout=HANG) == 3  # uvicorn: application startup failed
    server.stop()
    assert "Application startup failed" in server.output
    done = next(line for line in server.lines if "command.done" in line)
    assert "error_code=DB_009" in done and "Cannot create the database folder" in done
    assert not (tmp_path / "blocker" / "sub").exists()


def test_app_logging_configuration_untouched(
    tmp_path: Path, shipped_schemas: Path, servers: list[Server]
) -> None:
    write_app(
        tmp_path,
        """
        app = FastAPI(lifespan=ready_lifespan())
        app.include_router(health_router())


        @app.get("/logging")
        def logging_now():
            return {"before": BEFORE, "now": logging_state()}
        """,
    )
    server = start(servers, tmp_path)
    assert server.get("/health/db").status_code == 200
    state = server.get("/logging").json()
    assert state["now"] == state["before"]
    assert state["now"]["structlog_configured"] is False
    assert state["now"]["root"]["handlers"] == [
        ["StreamHandler", 0, "APPLOG %(name)s %(levelname)s %(message)s"]
    ]
    # dbinit's events went through the app's own handler, in the app's format
    assert any(line.startswith("APPLOG dbinit INFO command.done") for line in server.lines)


def test_importing_dbinit_or_running_the_cli_never_imports_fastapi(tmp_path: Path) -> None:
    probe = (
        "import sys, dbinit, dbinit.cli, dbinit.engine, dbinit.settings\n"
        "print([m for m in sys.modules if m.split('.')[0] in "
        "('fastapi', 'starlette', 'uvicorn', 'anyio')])\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=HANG, check=True
    )
    assert out.stdout.strip() == "[]"
    run = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "dbinit", "check", "--format", "json"],
        capture_output=True,
        text=True,
        timeout=HANG,
        env=child_env(),
        cwd=tmp_path,
    )
    assert json.loads(run.stdout)["command"] == "check"
    imported = [line.rsplit("|", 1)[-1].strip() for line in run.stderr.splitlines() if "|" in line]
    assert "dbinit.cli" in imported
    assert not [m for m in imported if m.split(".")[0] in ("fastapi", "starlette")]


def test_unknown_override_is_a_type_error() -> None:
    from dbinit.fastapi import health_router, ready_lifespan

    with pytest.raises(TypeError, match="'databse'"):
        health_router(databse="app.db")
    with pytest.raises(TypeError, match="'log_level'"):
        ready_lifespan(log_level="debug")
    with pytest.raises(ValueError, match="cache_seconds"):
        health_router(cache_seconds=-1)


def test_every_setting_the_environment_can_set_is_a_keyword() -> None:
    """`dev_url`, `pg_schema`, `lock_timeout`, … were a TypeError: every setting a
    `DBINIT_*` variable can set is accepted by name (the CLI's own are not)."""
    from dbinit.fastapi import health_router, ready_lifespan
    from dbinit.settings import Settings

    cli_only = {"format", "log_format", "log_level"}
    for name in sorted(set(Settings.model_fields) - cli_only):
        value = getattr(Settings.model_fields[name], "default", None)
        health_router(**{name: value})
        ready_lifespan(**{name: value})
    health_router(dev_url="postgresql://u@h/scratch", pg_schema="app", lock_timeout=2)
