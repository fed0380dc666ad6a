"""`GET /health/db` on PostgreSQL: a real uvicorn server, a real server database.

Runs once the PostgreSQL engine is registered (`dbinit.backend.ENGINES`); the
server rules are those of this folder's conftest (skip without a server, fail
under CI=true).
"""

from __future__ import annotations

import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from psycopg.conninfo import conninfo_to_dict

from dbinit.backend import ENGINES
from tests.conftest import child_env
from tests.fastapi_server import Server
from tests.postgres.conftest import create_database, drop_database, url_for

REPO = Path(__file__).resolve().parents[2]
SCHEMAS = REPO / "examples" / "postgres-railway" / "schemas"

needs_engine = pytest.mark.skipif(
    "postgresql" not in ENGINES, reason="the PostgreSQL engine is not registered in this build"
)


def database_url(conninfo: str) -> str:
    """The `postgresql://` URL of a conninfo (what dbinit's settings accept)."""
    from urllib.parse import quote

    params = conninfo_to_dict(conninfo)
    user = quote(str(params.get("user", "")), safe="")
    password = params.get("password")
    auth = f"{user}:{quote(str(password), safe='')}@" if password else (f"{user}@" if user else "")
    host = params.get("host", "127.0.0.1")
    port = f":{params['port']}" if params.get("port") else ""
    return f"postgresql://{auth}{host}{port}/{quote(str(params['dbname']), safe='')}"


@pytest.fixture
def server_db(pg_url: str, pg_admin: psycopg.Connection[Any]) -> Iterator[tuple[str, str]]:
    name = create_database(pg_admin)
    try:
        yield name, database_url(url_for(pg_url, name))
    finally:
        drop_database(pg_admin, name)


@needs_engine
def test_health_200_then_503_when_the_database_goes_away(
    tmp_path: Path, server_db: tuple[str, str], pg_admin: psycopg.Connection[Any]
) -> None:
    name, url = server_db
    (tmp_path / "schemas").mkdir()
    for sql in SCHEMAS.glob("*.sql"):
        (tmp_path / "schemas" / sql.name).write_text(sql.read_text())
    (tmp_path / "app.py").write_text(
        textwrap.dedent(
            """
            from fastapi import FastAPI
            from dbinit.fastapi import health_router, ready_lifespan

            app = FastAPI(lifespan=ready_lifespan())
            app.include_router(health_router(cache_seconds=0.2, retry_attempts=0, timeout=10))
            """
        )
    )
    server = Server(tmp_path, "app:app", child_env(DATABASE_URL=url))
    try:
        ok = server.get("/health/db")
        assert ok.status_code == 200, ok.text
        assert "***" not in url or "***" in ok.json()["database"]
        drop_database(pg_admin, name)  # the database goes away under the running app
        gone = server.poll_status("/health/db", 503).json()
        assert set(gone) == {"error", "message", "details", "retry_after", "error_code"}
        assert gone["error_code"] in ("DB_001", "DB_013")
    finally:
        server.stop()
