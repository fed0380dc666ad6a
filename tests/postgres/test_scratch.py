"""The scratch space's life cycle on the real server: dropped at the end, left
by a SIGKILLed run and cleaned up by the next one, never taken from a live run;
a role that may not create databases."""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import psycopg
import pytest

from dbinit.errors import ConfigError
from dbinit.postgres.scratch import build_desired, cleanup_scratch

from .conftest import url_for

HANG_GUARD = 60  # seconds; far above any honest run
ROOT = Path(__file__).resolve().parents[2]

CHILD = """
import sys, time
import psycopg
from dbinit.postgres.scratch import scratch_database
from dbinit.postgres.connect import connect
with scratch_database(sys.argv[1]) as name:
    conn = connect(sys.argv[1], dbname=name)  # as build_desired does while files run
    conn.execute("CREATE TABLE half_done (a int)")
    print(name, flush=True)
    time.sleep(3600)
"""


def exists(admin: psycopg.Connection[Any], name: str) -> bool:
    row = admin.execute("SELECT count(*) FROM pg_database WHERE datname = %s", (name,)).fetchone()
    return bool(row and row[0])


def wait_until(predicate: Any, what: str) -> None:
    until = time.monotonic() + HANG_GUARD
    while not predicate():
        if time.monotonic() > until:
            pytest.fail(f"hang guard: {what}")
        time.sleep(0.05)


def start_child(pg_url: str) -> tuple[subprocess.Popen[str], str]:
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, pg_url],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert child.stdout is not None
    name = child.stdout.readline().strip()
    assert name.startswith("dbinit_scratch_"), name
    return child, name


def test_a_killed_runs_scratch_database_is_cleaned_up_by_the_next_run(
    pg_url: str, pg_admin: psycopg.Connection[Any]
) -> None:
    child, name = start_child(pg_url)
    try:
        assert exists(pg_admin, name)
        # While the run lives, nobody else drops its scratch database.
        assert name not in cleanup_scratch(pg_admin)
        assert exists(pg_admin, name)
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait(HANG_GUARD)
    assert exists(pg_admin, name)  # the kill left it behind
    creator = int(name.split("_")[2])

    def backends_gone() -> bool:
        row = pg_admin.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE pid = %s OR datname = %s",
            (creator, name),
        ).fetchone()
        return bool(row) and row[0] == 0

    wait_until(backends_gone, "the killed run's sessions did not end")
    # The next run's scratch space cleans it up.
    build_desired(pg_url, [("f.sql", "CREATE TABLE t (a int);")])
    assert not exists(pg_admin, name)


# No schema file statement evaluates a query any more, so the slow statement is
# put past the allow-list: this test is about the clean-up, not the files.
SLOW_CHILD = """
import sys
from dbinit.postgres import scratch
from dbinit.postgres.sqlsplit import Head, Statement
slow = Statement("slow.sql", 1, "SELECT 1 AS s FROM pg_sleep(600)")
scratch.parse_files = lambda files, schema: [(slow, Head("create", None, None, None))]
scratch.build_desired(sys.argv[1], [("slow.sql", "")])
"""


def test_a_run_killed_while_a_statement_runs_is_cleaned_up_too(
    pg_url: str, pg_admin: psycopg.Connection[Any]
) -> None:
    """The killed run's backend is busy in a long statement when its client dies:
    it must notice and end, or its scratch database could never be dropped."""
    before = {r[0] for r in pg_admin.execute("SELECT datname FROM pg_database").fetchall()}
    child = subprocess.Popen(
        [sys.executable, "-c", SLOW_CHILD, pg_url],
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    found: list[tuple[int, str]] = []

    def sleeping() -> bool:
        assert child.poll() is None, "the child ended early"
        rows = pg_admin.execute(
            "SELECT pid, datname FROM pg_stat_activity"
            " WHERE datname LIKE 'dbinit\\_scratch\\_%%' AND query LIKE '%%pg_sleep(600)%%'"
        ).fetchall()
        found[:] = [r for r in rows if r[1] not in before]
        return bool(found)

    try:
        wait_until(sleeping, "the child's statement did not start")
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait(HANG_GUARD)
    ((pid, name),) = found
    wait_until(
        lambda: (
            not pg_admin.execute("SELECT 1 FROM pg_stat_activity WHERE pid = %s", (pid,)).fetchone()
        ),
        "the killed run's backend kept running its statement",
    )
    cleanup_scratch(pg_admin)
    assert not exists(pg_admin, name)


def test_cleanup_keeps_a_scratch_database_someone_is_connected_to(
    pg_url: str, pg_admin: psycopg.Connection[Any]
) -> None:
    # A name whose creator pid cannot be alive, with a session connected to it.
    # Any dbinit run on the server (another test worker's) may clean it up before
    # the session connects: then it is made again.
    name = f"dbinit_scratch_1_{secrets.token_hex(6)}"
    try:
        for _ in range(20):
            pg_admin.execute(f'CREATE DATABASE "{name}"')
            try:
                session = psycopg.connect(url_for(pg_url, name))
                break
            except psycopg.OperationalError:
                pg_admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
        else:
            pytest.fail(f"could not connect to {name}")
        with session:
            assert name not in cleanup_scratch(pg_admin)
            assert exists(pg_admin, name)
        wait_until(
            lambda: (
                not pg_admin.execute(
                    "SELECT 1 FROM pg_stat_activity WHERE datname = %s", (name,)
                ).fetchone()
            ),
            "session did not end",
        )
        cleanup_scratch(pg_admin)
        assert not exists(pg_admin, name)  # by this cleanup (or another run's)
    finally:
        pg_admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_a_role_that_may_not_create_databases_is_a_config_error_naming_both_ways_out(
    pg_url: str, pg_role: Any
) -> None:
    role = pg_role("LOGIN NOCREATEDB")
    url = url_for(pg_url, "postgres", user=role)
    with pytest.raises(ConfigError) as info:
        build_desired(url, [("f.sql", "CREATE TABLE t (a int);")])
    err = info.value
    assert err.exit_code == 78 and err.error_code == "DB_008"
    assert role in err.message
    assert "CREATEDB" in err.message and "DBINIT_DEV_URL" in err.message


def test_a_role_without_createdb_works_with_a_dev_url(
    pg_url: str, pg_role: Any, pg_db: str
) -> None:
    role = pg_role("LOGIN NOCREATEDB")
    dev = url_for(pg_db, psycopg.conninfo.conninfo_to_dict(pg_db)["dbname"], user=role)
    # PostgreSQL 15: only the database owner may create in public; use the role's own schema
    with psycopg.connect(pg_db, autocommit=True) as owner:
        owner.execute(
            f'GRANT CREATE ON DATABASE "{psycopg.conninfo.conninfo_to_dict(pg_db)["dbname"]}" TO "{role}"'
        )
    d = build_desired(
        url_for(pg_url, "postgres", user=role),
        [("f.sql", "CREATE TABLE t (a int);")],
        schema="app",
        dev_url=dev,
    )
    assert set(d.schema.tables) == {"t"}
