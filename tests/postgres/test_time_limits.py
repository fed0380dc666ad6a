"""Time limits on PostgreSQL (postgres.md "Time limits", issue 14 §4):

* a lock wait never runs past the overall deadline: `lock_timeout` is cut to
  the time left, and reaching the deadline is `time_limit` (DB_012, 75) naming
  the step and `--timeout`; a lock that is simply not granted within
  `lock_timeout` stays `database_locked` (DB_002, 75);
* an online step (`CREATE INDEX CONCURRENTLY`) has its own limit,
  `--online-timeout`: reaching it is `time_limit` naming the step and the
  setting, and the run's `--timeout` alone does not cut it.

Another session holds a lock (or an open write transaction) to make the waits.
Timeouts here are hang guards only.
"""

from __future__ import annotations

import json
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest

from tests.conftest import write_schema
from tests.postgres.conftest import create_database, drop_database
from tests.postgres.helpers import (
    HANG_GUARD,
    dbinit_argv,
    dbinit_backends,
    dbinit_env,
    execute,
    invalid_indexes,
    scalar,
    url_of,
    wait_for,
)

TABLE = "CREATE TABLE users (id integer PRIMARY KEY, email text NOT NULL);\n"
DATA = "INSERT INTO users SELECT g, 'u' || g || '@x.io' FROM generate_series(1, 1000) g;\n"
INDEXED = TABLE + "CREATE INDEX users_email ON users (email);\n"


@pytest.fixture
def db(pg_url: str, pg_admin: psycopg.Connection[Any]) -> Iterator[tuple[str, str]]:
    name = create_database(pg_admin, prefix="dbinit_limits_")
    try:
        url = url_of(pg_url, name)
        execute(url, TABLE + DATA)
        yield name, url
    finally:
        drop_database(pg_admin, name)


def run(url: str, *args: str, env: dict[str, str] | None = None) -> tuple[int, dict[str, Any], str]:
    done = subprocess.run(
        dbinit_argv(url, *args),
        env=dbinit_env(**(env or {})),
        capture_output=True,
        text=True,
        timeout=HANG_GUARD,
        check=False,
    )
    assert "Traceback" not in done.stderr, done.stderr[-3000:]
    return done.returncode, json.loads(done.stdout), done.stderr


def test_a_lock_wait_is_cut_at_the_deadline_and_is_a_time_limit(
    tmp_path: Path, db: tuple[str, str]
) -> None:
    _, url = db
    schemas = write_schema(tmp_path / "schemas", {"001.sql": TABLE})
    with psycopg.connect(url) as holder:
        holder.execute("LOCK TABLE users IN ACCESS EXCLUSIVE MODE")
        code, doc, err = run(
            url, "check", "--schema-dir", str(schemas), "--timeout", "3", "--lock-timeout", "20"
        )
    assert code == 75, json.dumps(doc) + err[-2000:]
    error = doc["error"]
    assert (error["error"], error["error_code"]) == ("time_limit", "DB_012"), error
    assert "--timeout 3" in error["message"] and "reading the schema" in error["message"], error


def test_a_lock_not_granted_within_lock_timeout_stays_database_locked(
    tmp_path: Path, db: tuple[str, str]
) -> None:
    _, url = db
    schemas = write_schema(tmp_path / "schemas", {"001.sql": TABLE})
    with psycopg.connect(url) as holder:
        holder.execute("LOCK TABLE users IN ACCESS EXCLUSIVE MODE")
        code, doc, err = run(
            url, "check", "--schema-dir", str(schemas), "--timeout", "60", "--lock-timeout", "0.3"
        )
    assert code == 75, json.dumps(doc) + err[-2000:]
    assert doc["error"]["error_code"] == "DB_002", doc["error"]
    assert doc["error"]["retry_after"], doc["error"]


def test_an_online_step_past_its_own_limit_is_a_time_limit_naming_it(
    tmp_path: Path, db: tuple[str, str]
) -> None:
    _, url = db
    schemas = write_schema(tmp_path / "schemas", {"001.sql": INDEXED})
    with psycopg.connect(url) as holder:  # an open write: the concurrent build waits for it
        holder.execute("UPDATE users SET email = email WHERE id = 1")
        code, doc, err = run(
            url,
            "init",
            "--schema-dir",
            str(schemas),
            "--timeout",
            "60",
            env={"DBINIT_ONLINE_TIMEOUT": "2"},
        )
    assert code == 75, json.dumps(doc) + err[-2000:]
    error = doc["error"]
    assert (error["error"], error["error_code"]) == ("time_limit", "DB_012"), error
    assert "--online-timeout 2" in error["message"], error
    assert "CREATE INDEX CONCURRENTLY" in error["message"], error
    # The run's history row says so (written under the run's own limit, not the spent one).
    assert scalar(url, "SELECT outcome FROM _dbinit_history ORDER BY id DESC LIMIT 1") == "failed"
    # Once the writer is gone, the next run finishes (or rebuilds) the index.
    again, doc, err = run(url, "init", "--schema-dir", str(schemas))
    assert again == 0, json.dumps(doc) + err[-2000:]
    assert invalid_indexes(url) == []


def test_the_run_time_limit_does_not_cut_an_online_step(
    tmp_path: Path, db: tuple[str, str], pg_admin: psycopg.Connection[Any]
) -> None:
    name, url = db
    schemas = write_schema(tmp_path / "schemas", {"001.sql": INDEXED})
    holder = psycopg.connect(url)
    try:
        holder.execute("UPDATE users SET email = email WHERE id = 1")
        proc = subprocess.Popen(
            [*dbinit_argv(url, "init", "--schema-dir", str(schemas)), "--timeout", "4"],
            env=dbinit_env(DBINIT_ONLINE_TIMEOUT="120", DBINIT_LOCK_TIMEOUT="120"),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        wait_for(
            "dbinit's CREATE INDEX CONCURRENTLY",
            lambda: dbinit_backends(
                pg_admin, name, "state = 'active' AND query ILIKE '%%CONCURRENTLY%%'"
            ),
        )
        # Release the writer well after the run's own 4 s limit.
        release = threading.Timer(6.0, holder.rollback)
        release.start()
        try:
            out, err = proc.communicate(timeout=HANG_GUARD)
        finally:
            release.cancel()
            release.join()
    finally:
        holder.close()
    doc = json.loads(out)
    assert proc.returncode == 0, out + err[-3000:]
    assert doc["status"] == "applied", doc
    assert invalid_indexes(url) == []
