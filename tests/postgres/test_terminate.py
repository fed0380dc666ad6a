"""The connection cut during a run, as a failover or a proxy restart would cut
it: another connection calls `pg_terminate_backend` on dbinit's backend (found
by its application_name). dbinit exits cleanly with 69 or 75 (one JSON
document, no traceback), nothing is half-applied (pg_catalog compared with the
state before), and a re-run converges.

Two moments: inside the plan's transaction (dbinit waiting for a lock another
session holds, after some of its statements ran), and during the online phase
(a slow CREATE INDEX CONCURRENTLY, which leaves an invalid index that the next
run rebuilds).
"""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import psycopg

from tests.conftest import Result, write_schema
from tests.postgres.helpers import (
    HANG_GUARD,
    SLOW_FUNCTION,
    catalog,
    dbinit,
    dbinit_argv,
    dbinit_backends,
    dbinit_env,
    dbname_of,
    execute,
    invalid_indexes,
    pg_db_url,
    scalar,
    wait_for,
)

__all__ = ["pg_db_url"]  # the fixture

USERS = "CREATE TABLE users (id integer PRIMARY KEY, email text NOT NULL);\n"
ROWS = "INSERT INTO users SELECT g, 'u' || g || '@x.io' FROM generate_series(1, 50) g;\n"


def _terminated(res: Result) -> dict[str, Any]:
    """A clean failure: 69 or 75, exactly one JSON document naming the error, no traceback."""
    assert res.exit_code in (69, 75), res.stdout + res.stderr
    assert "Traceback" not in res.stdout + res.stderr
    doc = res.json()
    assert doc["exit_code"] == res.exit_code
    assert doc["error"]["error_code"] in ("DB_001", "DB_002"), doc["error"]
    assert "\n" not in doc["error"]["message"]
    print(
        f"\nterminated: exit {res.exit_code} {doc['error']['error_code']}: {doc['error']['message']}"
    )
    return doc


def _start(url: str, schemas: Path, **env: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        dbinit_argv(url, "init", "--schema-dir", str(schemas)),
        env=dbinit_env(**env),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _finish(proc: subprocess.Popen[str]) -> Result:
    out, err = proc.communicate(timeout=HANG_GUARD)
    return Result(proc.returncode, out, err)


def test_terminated_inside_the_transaction_applies_nothing_then_converges(
    tmp_path: Path, pg_db_url: str, pg_admin: psycopg.Connection[Any]
) -> None:
    url = pg_db_url
    execute(url, USERS + ROWS)
    schemas = write_schema(
        tmp_path / "schemas",
        {
            "001.sql": USERS.replace("email text NOT NULL", "email text NOT NULL, nick text")
            + "CREATE TABLE posts (id integer PRIMARY KEY, body text);\n"
            + "CREATE INDEX posts_body ON posts (body);\n"
        },
    )
    before = catalog(url)
    # an app's long read holds users' ACCESS SHARE lock: dbinit's reads pass, its
    # ALTER TABLE (ACCESS EXCLUSIVE) waits, after CREATE TABLE posts ran in the transaction
    holder = psycopg.connect(url)
    try:
        holder.execute("SELECT count(*) FROM users")
        proc = _start(url, schemas, DBINIT_LOCK_TIMEOUT="60")
        pids = wait_for(
            "dbinit waiting for the lock inside its transaction",
            lambda: dbinit_backends(
                pg_admin,
                dbname_of(url),
                "wait_event_type = 'Lock' AND state = 'active' AND query ILIKE '%%ADD COLUMN%%'",
            ),
        )
        assert len(pids) == 1
        assert pg_admin.execute("SELECT pg_terminate_backend(%s)", (pids[0],)).fetchone() == (True,)
        res = _finish(proc)
    finally:
        holder.rollback()
        holder.close()
    _terminated(res)
    # nothing half-applied: not posts (created before the wait), not the column, no history
    assert catalog(url) == before
    assert scalar(url, "SELECT to_regclass('public._dbinit_history')") is None
    assert scalar(url, "SELECT count(*) FROM users") == 50

    again = dbinit(url, "init", "--schema-dir", str(schemas))
    assert again.exit_code == 0, again.stdout + again.stderr
    assert again.json()["status"] == "applied"
    assert scalar(url, "SELECT count(*) FROM _dbinit_history") == 1
    third = dbinit(url, "init", "--schema-dir", str(schemas))
    assert third.exit_code == 0 and third.json()["applied"] == [], third.stdout
    assert scalar(url, "SELECT count(*) FROM users") == 50


def test_terminated_during_a_concurrent_index_build_then_the_invalid_index_is_rebuilt(
    tmp_path: Path, pg_db_url: str, pg_admin: psycopg.Connection[Any]
) -> None:
    url = pg_db_url
    live = (
        SLOW_FUNCTION
        + "CREATE TABLE items (id integer PRIMARY KEY, label text);\n"
        + "INSERT INTO items SELECT g, 'i' || g FROM generate_series(1, 2000) g;\n"
    )
    execute(url, live)
    schemas = write_schema(
        tmp_path / "schemas",
        {
            "001.sql": SLOW_FUNCTION
            + "CREATE TABLE items (id integer PRIMARY KEY, label text, note text);\n"
            + "CREATE INDEX items_slow ON items (slow_key(id));\n"
        },
    )
    proc = _start(url, schemas)
    pids = wait_for(
        "dbinit building the index concurrently",
        lambda: dbinit_backends(
            pg_admin, dbname_of(url), "state = 'active' AND query ILIKE '%%CONCURRENTLY%%'"
        ),
    )
    pg_admin.execute("SELECT pg_terminate_backend(%s)", (pids[0],))
    res = _finish(proc)
    _terminated(res)
    # the transactional part committed as a whole (the column), the build did not finish
    assert scalar(url, "SELECT count(*) FROM items") == 2000
    assert (
        scalar(
            url,
            "SELECT count(*) FROM pg_attribute WHERE attrelid = 'public.items'::regclass"
            " AND attname = 'note' AND NOT attisdropped",
        )
        == 1
    )  # committed before the online phase began
    left = invalid_indexes(url)
    assert left in ([], ["items_slow"]), left
    if left:
        # drift for check, named in the report
        check = dbinit(url, "check", "--schema-dir", str(schemas))
        assert check.exit_code == 1, check.stdout
        assert any(c["name"] == "items_slow" for c in check.json()["changes"]), check.stdout

    again = dbinit(url, "init", "--schema-dir", str(schemas))
    assert again.exit_code == 0, again.stdout + again.stderr
    assert invalid_indexes(url) == []
    assert scalar(url, "SELECT to_regclass('public.items_slow') IS NOT NULL") is True
    third = dbinit(url, "init", "--schema-dir", str(schemas))
    assert third.exit_code == 0 and third.json()["applied"] == [], third.stdout
    validate = dbinit(url, "validate", "--schema-dir", str(schemas))
    assert validate.exit_code == 0, validate.stdout
