"""A network that silently drops packets mid-run (failover, NAT timeout, a hung
pooler): the socket stays open, the peer acknowledges and never answers. Every
wait is bounded on the client side, so a command ends with 69 (`retry_after`
set) shortly after its time limit instead of hanging, and `/health/db` answers
503, never the last 200 it saw (postgres.md "Time limits").

The outage is a proxy in the test (tests/postgres/blackhole.py) that goes silent
when dbinit sends its first `SET SESSION lock_timeout` (after connecting, the
session pinned): dbinit then waits for the
answer to a statement it has sent. Timeouts here are hang guards only.
"""

from __future__ import annotations

import json
import subprocess
import textwrap
import time
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest
from psycopg.conninfo import make_conninfo

from dbinit.backend import ENGINES
from tests.conftest import child_env, write_schema
from tests.fastapi_server import Server
from tests.postgres.blackhole import Blackhole
from tests.postgres.conftest import create_database, drop_database
from tests.postgres.helpers import dbinit_argv, dbinit_env

GUARD = 60  # seconds: a run that hangs is killed here and the test fails
SCHEMA = {"001.sql": "CREATE TABLE users (id integer PRIMARY KEY, email text NOT NULL);\n"}

needs_engine = pytest.mark.skipif(
    "postgresql" not in ENGINES, reason="the PostgreSQL engine is not registered in this build"
)


@pytest.fixture
def target(pg_url: str, pg_admin: psycopg.Connection[Any]) -> Any:
    name = create_database(pg_admin, prefix="dbinit_blackhole_")
    try:
        yield name
    finally:
        drop_database(pg_admin, name)


@needs_engine
@pytest.mark.parametrize(
    ("command", "trigger"),
    [
        ("check", b"SESSION lock_timeout"),  # reading the live schema
        ("init", b"SESSION lock_timeout"),
        ("check", b"CREATE TABLE users"),  # running the schema files in the scratch space
    ],
)
def test_a_network_gone_silent_mid_statement_ends_with_69_not_a_hang(
    tmp_path: Path, target: str, command: str, trigger: bytes
) -> None:
    schemas = write_schema(tmp_path / "schemas", SCHEMA)
    with Blackhole(trigger=trigger) as proxy:
        argv = dbinit_argv(proxy.url(target), command, "--schema-dir", str(schemas))
        try:
            done = subprocess.run(
                [*argv, "--timeout", "5"],
                env=dbinit_env(),
                capture_output=True,
                text=True,
                timeout=GUARD,
                check=False,
            )
        except subprocess.TimeoutExpired:
            pytest.fail(f"`dbinit {command} --timeout 5` still ran after {GUARD} s")
        assert proxy.silent.is_set(), "the network never went silent: the test proves nothing"
    assert done.returncode == 69, done.stdout + done.stderr[-3000:]
    assert "Traceback" not in done.stderr
    doc = json.loads(done.stdout)
    assert doc["error"]["error_code"] == "DB_001", doc["error"]
    assert isinstance(doc["error"]["retry_after"], int) and doc["error"]["retry_after"] > 0


@needs_engine
def test_health_answers_503_never_a_stale_200_while_the_network_is_silent(
    tmp_path: Path, target: str
) -> None:
    write_schema(tmp_path / "schemas", SCHEMA)
    (tmp_path / "app.py").write_text(
        textwrap.dedent(
            """
            from fastapi import FastAPI
            from dbinit.fastapi import health_router

            app = FastAPI()
            app.include_router(health_router(cache_seconds=0.5, retry_attempts=0, timeout=5))
            """
        )
    )
    with Blackhole() as proxy:
        url = proxy.url(target)
        done = subprocess.run(
            dbinit_argv(url, "init", "--schema-dir", str(tmp_path / "schemas")),
            env=dbinit_env(),
            capture_output=True,
            text=True,
            timeout=GUARD,
            check=False,
        )
        assert done.returncode == 0, done.stdout + done.stderr[-2000:]
        server = Server(tmp_path, "app:app", child_env(DATABASE_URL=url))
        try:
            ok = server.get("/health/db")
            assert ok.status_code == 200, ok.text
            # The next check goes silent mid-statement, once its cached 200 (0.5 s) expired.
            proxy.trigger = b"SESSION lock_timeout"
            time.sleep(1.0)
            seen: list[int] = []
            for _ in range(4):
                try:
                    response = httpx.get(server.url + "/health/db", timeout=GUARD)
                except httpx.TimeoutException:
                    pytest.fail(f"/health/db did not answer within {GUARD} s (seen {seen})")
                seen.append(response.status_code)
                if response.status_code == 503:
                    body = response.json()
                    assert set(body) == {"error", "message", "details", "retry_after", "error_code"}
                    assert response.headers["Retry-After"] == str(body["retry_after"])
                time.sleep(0.3)
            assert proxy.silent.is_set(), "the network never went silent: the test proves nothing"
            assert seen == [503] * len(seen), seen
        finally:
            server.stop()


def test_sessions_carry_tcp_keepalives_and_tcp_user_timeout(pg_url: str) -> None:
    """A dead network (no acknowledgements at all) is seen by the kernel within
    seconds; the URL's own values win."""
    from dbinit.postgres.connect import connect

    with connect(pg_url, deadline=time.monotonic() + 30) as conn:
        params = conn.info.get_parameters()
    assert params.get("keepalives") == "1", params
    assert int(params["keepalives_idle"]) <= 10 and int(params["tcp_user_timeout"]) > 0, params
    own = make_conninfo(pg_url, tcp_user_timeout="1234")
    with connect(own, deadline=time.monotonic() + 30) as conn:
        assert conn.info.get_parameters()["tcp_user_timeout"] == "1234"


def test_a_session_closed_before_its_deadline_leaves_no_watchdog_behind(pg_url: str) -> None:
    import threading

    from dbinit.postgres.connect import connect

    before = sum(t.name == "dbinit-deadline" for t in threading.enumerate())
    conn = connect(pg_url, deadline=time.monotonic() + 300)
    conn.close()
    for _ in range(100):
        if sum(t.name == "dbinit-deadline" for t in threading.enumerate()) <= before:
            break
        time.sleep(0.02)
    assert sum(t.name == "dbinit-deadline" for t in threading.enumerate()) <= before
