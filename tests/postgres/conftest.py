"""PostgreSQL test fixtures: where the server is, and a fresh database per test.

`DBINIT_TEST_PG_URL` (default `postgresql://postgres@127.0.0.1:5432/postgres`)
names a server and a maintenance database the tests may create databases from.
It is read when this file is imported, before the root `clean_env` fixture
strips every `DBINIT_*` variable from the tests' environment.

No server answering: the PostgreSQL tests skip, naming the reason, on a
developer's machine, and fail when `CI=true` (CI must never pass by skipping).
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
from psycopg import sql
from psycopg.conninfo import make_conninfo

from dbinit.errors import mask_url

DEFAULT_PG_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
PG_URL = os.environ.get("DBINIT_TEST_PG_URL") or DEFAULT_PG_URL
_CI = os.environ.get("CI", "").lower() == "true"
_checked: list[str] = []  # the reason the server is missing, once checked ("" = reachable)


def _server_problem() -> str:
    if not _checked:
        try:
            psycopg.connect(PG_URL, connect_timeout=5).close()
            _checked.append("")
        except psycopg.Error as exc:
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            _checked.append(f"no PostgreSQL server at {mask_url(PG_URL)}: {mask_url(first)}")
    return _checked[0]


@pytest.fixture
def pg_url() -> str:
    """The server's maintenance URL; skips (fails under CI=true) without a server."""
    problem = _server_problem()
    if problem:
        if _CI:
            pytest.fail(f"{problem} (CI=true: PostgreSQL tests must run, not skip)")
        pytest.skip(problem)
    return PG_URL


def url_for(base: str, dbname: str, **params: Any) -> str:
    """A conninfo for database `dbname` on `base`'s server."""
    return make_conninfo(base, dbname=dbname, **params)


@pytest.fixture
def pg_admin(pg_url: str) -> Iterator[psycopg.Connection[Any]]:
    with psycopg.connect(pg_url, autocommit=True) as conn:
        yield conn


def create_database(admin: psycopg.Connection[Any], prefix: str = "dbinit_test_") -> str:
    name = f"{prefix}{secrets.token_hex(6)}"
    admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    return name


def drop_database(admin: psycopg.Connection[Any], name: str) -> None:
    admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


@pytest.fixture
def pg_db(pg_url: str, pg_admin: psycopg.Connection[Any]) -> Iterator[str]:
    """A fresh database with a random name (dropped afterwards); yields its conninfo."""
    name = create_database(pg_admin)
    try:
        yield url_for(pg_url, name)
    finally:
        drop_database(pg_admin, name)


@pytest.fixture
def pg_conn(pg_db: str) -> Iterator[psycopg.Connection[Any]]:
    """An autocommit connection to the fresh database `pg_db`."""
    with psycopg.connect(pg_db, autocommit=True) as conn:
        yield conn


@pytest.fixture
def pg_role(pg_admin: psycopg.Connection[Any]) -> Iterator[Any]:
    """`make(options)` creates a role with a random name and the given options
    (e.g. "NOLOGIN", "LOGIN NOCREATEDB"); every role made is dropped afterwards.
    Tests grant these roles nothing, so dropping them needs no REASSIGN."""
    made: list[str] = []

    def make(options: str) -> str:
        name = f"dbinit_role_{secrets.token_hex(4)}"
        pg_admin.execute(
            sql.SQL("CREATE ROLE {} {}").format(sql.Identifier(name), sql.SQL(options))
        )
        made.append(name)
        return name

    yield make
    for name in made:
        pg_admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = %s", (name,)
        )
        pg_admin.execute(sql.SQL("DROP ROLE IF EXISTS {}").format(sql.Identifier(name)))
