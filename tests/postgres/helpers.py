"""Helpers shared by the PostgreSQL tests that drive the real CLI in child
processes: URLs, running `dbinit`, and a `pg_catalog` oracle of the schema
that is independent of dbinit's own introspection."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from psycopg.conninfo import conninfo_to_dict

from tests.conftest import Result, child_env

REPO = Path(__file__).resolve().parents[2]
DBINIT = str(Path(sys.executable).parent / "dbinit")
HANG_GUARD = 120  # seconds: far above any honest run


def url_of(base: str, dbname: str) -> str:
    """A postgresql:// URL for database `dbname` on `base`'s server (the CLI's form)."""
    p = conninfo_to_dict(base)
    who = p.get("user") or "postgres"
    host = p.get("host") or "127.0.0.1"
    return f"postgresql://{who}@{host}:{p.get('port') or 5432}/{dbname}"


def dbname_of(url: str) -> str:
    return str(conninfo_to_dict(url).get("dbname") or "")


def execute(url: str, sql: str) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(sql.encode())


def scalar(url: str, query: str) -> Any:
    with psycopg.connect(url, autocommit=True) as conn:
        row = conn.execute(query.encode()).fetchone()
    return row[0] if row else None


def dbinit_argv(url: str, *args: str) -> list[str]:
    return [DBINIT, *args, "--database", url, "--format", "json"]


def dbinit_env(**extra: str) -> dict[str, str]:
    return child_env(DBINIT_LOG_FORMAT="json", DBINIT_RETRY_DELAY="0.05", **extra)


def dbinit(url: str, *args: str, env: dict[str, str] | None = None) -> Result:
    """The installed CLI in a child process against `url` (JSON report on stdout)."""
    done = subprocess.run(
        dbinit_argv(url, *args),
        env=dbinit_env(**(env or {})),
        capture_output=True,
        text=True,
        timeout=HANG_GUARD,
        check=False,
    )
    return Result(done.returncode, done.stdout, done.stderr)


def run_json(cli: Any, url: str, schemas: Path, *args: str) -> tuple[int, dict[str, Any], str]:
    """`dbinit ARGS --format json` in-process against `url` and `schemas`: (exit code,
    the one JSON report, the end of what it printed, for assertion messages). No
    traceback reaches stderr."""
    res = cli(*args, "--format", "json", "-d", url, "-s", str(schemas))
    assert "Traceback" not in res.stderr, res.stderr[-3000:]
    doc: dict[str, Any] = res.json()
    return res.exit_code, doc, res.stdout[-4000:] + res.stderr[-2000:]


def catalog(url: str, schema: str = "public") -> dict[str, list[tuple[Any, ...]]]:
    """The managed schema as `pg_catalog` describes it (dbinit's own tables,
    its history and its remembered models, left out): relations, columns with types/nullability/defaults, constraints
    with their definitions and validation state, indexes with their definitions
    and validity. Two databases with equal catalogs have the same schema."""
    with psycopg.connect(url, autocommit=True) as conn:
        rels = conn.execute(
            "SELECT c.relname, c.relkind::text FROM pg_class c"
            " JOIN pg_namespace n ON n.oid = c.relnamespace"
            " WHERE n.nspname = %s AND c.relname NOT LIKE '\\_dbinit\\_%%'"
            " AND c.relkind IN ('r', 'v', 'm', 'S', 'p') ORDER BY 1",
            (schema,),
        ).fetchall()
        cols = conn.execute(
            "SELECT c.relname, a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull,"
            " pg_get_expr(d.adbin, d.adrelid) FROM pg_attribute a"
            " JOIN pg_class c ON c.oid = a.attrelid"
            " JOIN pg_namespace n ON n.oid = c.relnamespace"
            " LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum"
            " WHERE n.nspname = %s AND c.relkind IN ('r', 'v', 'm') AND a.attnum > 0"
            " AND NOT a.attisdropped AND c.relname NOT LIKE '\\_dbinit\\_%%' ORDER BY 1, 2",
            (schema,),
        ).fetchall()
        cons = conn.execute(
            "SELECT t.relname, k.conname, pg_get_constraintdef(k.oid), k.convalidated"
            " FROM pg_constraint k JOIN pg_class t ON t.oid = k.conrelid"
            " JOIN pg_namespace n ON n.oid = t.relnamespace"
            " WHERE n.nspname = %s AND t.relname NOT LIKE '\\_dbinit\\_%%' ORDER BY 1, 2",
            (schema,),
        ).fetchall()
        idx = conn.execute(
            "SELECT t.relname, c.relname, pg_get_indexdef(i.indexrelid), i.indisvalid"
            " FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid"
            " JOIN pg_class t ON t.oid = i.indrelid"
            " JOIN pg_namespace n ON n.oid = c.relnamespace"
            " WHERE n.nspname = %s AND t.relname NOT LIKE '\\_dbinit\\_%%' ORDER BY 1, 2",
            (schema,),
        ).fetchall()
        views = conn.execute(
            "SELECT c.relname, pg_get_viewdef(c.oid) FROM pg_class c"
            " JOIN pg_namespace n ON n.oid = c.relnamespace"
            " WHERE n.nspname = %s AND c.relkind IN ('v', 'm') ORDER BY 1",
            (schema,),
        ).fetchall()
    return {"relations": rels, "columns": cols, "constraints": cons, "indexes": idx, "views": views}


def invalid_indexes(url: str, schema: str = "public") -> list[str]:
    with psycopg.connect(url, autocommit=True) as conn:
        rows = conn.execute(
            "SELECT c.relname FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid"
            " JOIN pg_namespace n ON n.oid = c.relnamespace"
            " WHERE n.nspname = %s AND NOT i.indisvalid ORDER BY 1",
            (schema,),
        ).fetchall()
    return [r[0] for r in rows]


def build_database(admin: psycopg.Connection[Any], base: str, sql: str) -> str:
    """A fresh database built directly from `sql` (by psql's server, not dbinit);
    returns its URL. The caller drops it (`drop_database`)."""
    from tests.postgres.conftest import create_database

    name = create_database(admin, prefix="dbinit_oracle_")
    url = url_of(base, name)
    execute(url, sql)
    return url


@pytest.fixture
def pg_db_url(pg_url: str, pg_admin: psycopg.Connection[Any]) -> Iterator[str]:
    """A fresh database's postgresql:// URL (dropped afterwards). Import it into
    a test module to use it."""
    from tests.postgres.conftest import create_database, drop_database

    name = create_database(pg_admin)
    try:
        yield url_of(pg_url, name)
    finally:
        drop_database(pg_admin, name)


def wait_for(what: str, ready: Callable[[], Any], *, guard: float = HANG_GUARD) -> Any:
    """Poll `ready()` until it returns something truthy (hang guard only)."""
    t0 = time.monotonic()
    while True:
        got = ready()
        if got:
            return got
        assert time.monotonic() - t0 < guard, f"hang guard: still waiting for {what}"
        time.sleep(0.01)


def dbinit_backends(admin: psycopg.Connection[Any], dbname: str, where: str = "true") -> list[int]:
    """pids of dbinit's sessions on database `dbname` (found by application_name,
    which dbinit/postgres/connect.py sets to "dbinit") matching the SQL `where`
    on pg_stat_activity."""
    rows = admin.execute(
        "SELECT pid FROM pg_stat_activity WHERE datname = %s AND application_name = 'dbinit'"
        " AND pid <> pg_backend_pid() AND (" + where + ")",
        (dbname,),
    ).fetchall()
    return [int(r[0]) for r in rows]


def sigterm_during_concurrent_index(
    admin: psycopg.Connection[Any], dbname: str, url: str, *args: str
) -> tuple[str, str]:
    """Run `dbinit init *args` against `url` and send it SIGTERM while its `CREATE
    INDEX CONCURRENTLY` runs (after the transaction committed); its (stdout, stderr),
    once it exited 143."""
    import signal

    proc = subprocess.Popen(
        dbinit_argv(url, "init", *args),
        env=dbinit_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    wait_for(
        "dbinit's CREATE INDEX CONCURRENTLY",
        lambda: dbinit_backends(
            admin, dbname, "state = 'active' AND query ILIKE '%%CONCURRENTLY%%'"
        ),
    )
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=HANG_GUARD)
    assert proc.returncode == 143, out + err[-3000:]
    return out, err


# An expression whose every evaluation sleeps: an index on it builds slowly,
# long enough to be interrupted (about 1 ms a row).
SLOW_FUNCTION = """
CREATE FUNCTION slow_key(i integer) RETURNS integer LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
    PERFORM pg_sleep(0.001);
    RETURN i;
END $$;
"""
