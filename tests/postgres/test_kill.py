"""SIGKILL of `dbinit init` at random (seeded) moments, on the real server
(issue 10 §3): afterwards the schema is exactly the old one, or the new one, or
(when the kill fell in the online phase) the new one with its transaction
committed and only the online statements left (an index missing or invalid, a
constraint NOT VALID); the next `init` repairs it (an invalid index rebuilt) and
exits 0; a third run applies nothing. pg_catalog is the oracle: the old schema
is read before the run, the new one from a database built directly from the
files.

A killed client does not stop its server backend at once: the dbinit children
run with `client_connection_check_interval` (PGOPTIONS, PostgreSQL 14+) so that
the server notices the dead client during a long statement, as it would when
the machine running dbinit disappears; otherwise the server finishes the build.
"""

from __future__ import annotations

import contextlib
import os
import random
import signal
import subprocess
import time
from pathlib import Path
from typing import Any

import psycopg
import pytest

from tests.conftest import write_schema
from tests.postgres.conftest import create_database, drop_database
from tests.postgres.helpers import (
    HANG_GUARD,
    SLOW_FUNCTION,
    build_database,
    catalog,
    dbinit,
    dbinit_argv,
    dbinit_backends,
    dbinit_env,
    execute,
    invalid_indexes,
    url_of,
    wait_for,
)

SEED = 20261201
KILLS_DURING_INIT = 3
KILLS_DURING_BUILD = 2
ROWS = 1500  # the slow index takes about 1 ms a row to build

OLD = (
    SLOW_FUNCTION
    + "CREATE TABLE users (id integer PRIMARY KEY, email text NOT NULL, score integer);\n"
)
NEW = (
    SLOW_FUNCTION
    + "CREATE TABLE users (id integer PRIMARY KEY, email text NOT NULL, score integer,"
    " nick text, CONSTRAINT users_score_nonneg CHECK (score >= 0));\n"
    + "CREATE INDEX users_slow ON users (slow_key(id));\n"
    + "CREATE TABLE posts (id integer PRIMARY KEY, user_id integer REFERENCES users (id),"
    " body text);\n" + "CREATE INDEX posts_user ON posts (user_id);\n"
)
DATA = (
    f"INSERT INTO users SELECT g, 'u' || g || '@x.io', g % 7 FROM generate_series(1, {ROWS}) g;\n"
)
KILL_ENV = {"PGOPTIONS": "-c client_connection_check_interval=50"}


def _strip(cat: dict[str, list[tuple[Any, ...]]]) -> dict[str, set[tuple[Any, ...]]]:
    """Constraints and indexes without their validity flags (and constraint
    definitions without the NOT VALID suffix)."""
    return {
        "constraints": {(t, n, d.removesuffix(" NOT VALID")) for t, n, d, _ in cat["constraints"]},
        "indexes": {(t, n, d) for t, n, d, _ in cat["indexes"]},
    }


def _old_or_new(got: Any, old: Any, new: Any) -> str:
    """Which state the database is in; fails on anything half-applied."""
    if got == old:
        return "old"
    if got == new:
        return "new"
    # the transaction committed; only online statements can be missing
    for part in ("relations", "columns", "views"):
        assert got[part] == new[part], (part, got[part], new[part])
    g, n = _strip(got), _strip(new)
    assert g["constraints"] == n["constraints"], (got["constraints"], new["constraints"])
    assert g["indexes"] <= n["indexes"], (got["indexes"], new["indexes"])
    old_tables = {r[0] for r in old["relations"]}
    for table, _name, _def in n["indexes"] - g["indexes"]:
        assert table in old_tables, "an index on a new table is built in the transaction"
    return "online pending"


@pytest.fixture
def oracle(pg_url: str, pg_admin: psycopg.Connection[Any]) -> Any:
    """The new schema's catalog, from a database built directly from the files."""
    url = build_database(pg_admin, pg_url, NEW)
    try:
        yield catalog(url)
    finally:
        drop_database(pg_admin, str(psycopg.conninfo.conninfo_to_dict(url)["dbname"]))


def _one_run(
    pg_url: str,
    pg_admin: psycopg.Connection[Any],
    schemas: Path,
    new: Any,
    kill_when: Any,
) -> tuple[str, list[str]]:
    """A fresh old database, `init` killed when `kill_when(proc, dbname)`
    returns, then the checks; returns the state after the kill and the invalid
    indexes it left."""
    name = create_database(pg_admin, prefix="dbinit_kill_")
    try:
        url = url_of(pg_url, name)
        execute(url, OLD + DATA)
        old = catalog(url)
        proc = subprocess.Popen(
            dbinit_argv(url, "init", "--schema-dir", str(schemas)),
            env=dbinit_env(**KILL_ENV),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            kill_when(proc, name)
        finally:
            if proc.poll() is None:
                os.kill(proc.pid, signal.SIGKILL)
            proc.wait(timeout=HANG_GUARD)
        # the server has noticed the dead client once its sessions are gone
        wait_for("the killed run's sessions to end", lambda: not dbinit_backends(pg_admin, name))
        state = _old_or_new(catalog(url), old, new)
        left = invalid_indexes(url)
        assert state == "online pending" or not left, left

        again = dbinit(url, "init", "--schema-dir", str(schemas))
        assert again.exit_code == 0, again.stdout + again.stderr
        assert catalog(url) == new  # converged: valid indexes, validated constraints
        assert invalid_indexes(url) == []
        third = dbinit(url, "init", "--schema-dir", str(schemas))
        assert third.exit_code == 0 and third.json()["applied"] == [], third.stdout
        with psycopg.connect(url, autocommit=True) as conn:
            assert conn.execute("SELECT count(*) FROM users").fetchone() == (ROWS,)
        return state, left
    finally:
        drop_database(pg_admin, name)


def test_sigkill_at_random_moments_during_init(
    tmp_path: Path, pg_url: str, pg_admin: psycopg.Connection[Any], oracle: Any
) -> None:
    rng = random.Random(SEED)
    schemas = write_schema(tmp_path / "schemas", {"001.sql": NEW})
    states = []
    for _ in range(KILLS_DURING_INIT):
        delay = rng.uniform(0.1, 2.5)  # start-up, scratch build, transaction, online phase

        def kill_when(proc: subprocess.Popen[bytes], dbname: str, delay: float = delay) -> None:
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=delay)

        states.append(_one_run(pg_url, pg_admin, schemas, oracle, kill_when))
    print(f"\nstates after SIGKILL during init (seed {SEED}): {states}")


def test_sigkill_during_a_concurrent_index_build_leaves_an_index_the_next_run_rebuilds(
    tmp_path: Path, pg_url: str, pg_admin: psycopg.Connection[Any], oracle: Any
) -> None:
    rng = random.Random(SEED + 1)
    schemas = write_schema(tmp_path / "schemas", {"001.sql": NEW})
    results = []
    for _ in range(KILLS_DURING_BUILD):
        delay = rng.uniform(0.2, 0.8)  # into a build of about 1.5 s

        def kill_when(proc: subprocess.Popen[bytes], dbname: str, delay: float = delay) -> None:
            wait_for(
                "dbinit's CREATE INDEX CONCURRENTLY",
                lambda: dbinit_backends(
                    pg_admin, dbname, "state = 'active' AND query ILIKE '%%CONCURRENTLY%%'"
                ),
            )
            time.sleep(delay)
            assert proc.poll() is None, "the build ended before the kill: make it slower"

        results.append(_one_run(pg_url, pg_admin, schemas, oracle, kill_when))
    print(f"\nstates after SIGKILL during the build (seed {SEED + 1}): {results}")
    # every kill fell in the online phase and left the index invalid, which the next run rebuilt
    assert results == [("online pending", ["users_slow"])] * KILLS_DURING_BUILD
