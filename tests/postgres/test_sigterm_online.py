"""SIGTERM while `init` runs its online phase on PostgreSQL: the transaction has
committed, so the report must not claim that everything was rolled back. It
says what was committed (`applied`), exits 143 with `DB_011`, and the next run
finishes the online step (issue 8 §3 on the second engine)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import psycopg

from tests.conftest import write_schema
from tests.postgres.conftest import create_database, drop_database
from tests.postgres.helpers import (
    SLOW_FUNCTION,
    dbinit,
    dbinit_backends,
    execute,
    invalid_indexes,
    sigterm_during_concurrent_index,
    url_of,
    wait_for,
)

OLD = SLOW_FUNCTION + "CREATE TABLE users (id integer PRIMARY KEY, email text NOT NULL);\n"
NEW = (
    SLOW_FUNCTION
    + "CREATE TABLE users (id integer PRIMARY KEY, email text NOT NULL, nick text);\n"
    + "CREATE INDEX users_slow ON users (slow_key(id));\n"
)
DATA = "INSERT INTO users SELECT g, 'u' || g || '@x.io' FROM generate_series(1, 3000) g;\n"


def test_sigterm_in_the_online_phase_reports_what_was_committed(
    tmp_path: Path, pg_url: str, pg_admin: psycopg.Connection[Any]
) -> None:
    name = create_database(pg_admin, prefix="dbinit_sigterm_")
    try:
        url = url_of(pg_url, name)
        execute(url, OLD + DATA)
        schemas = write_schema(tmp_path / "schemas", {"001.sql": NEW})
        out, err = sigterm_during_concurrent_index(
            pg_admin, name, url, "--schema-dir", str(schemas), "--format", "json"
        )
        assert "Traceback" not in err
        doc = json.loads(out)
        assert doc["error"]["error_code"] == "DB_011", doc["error"]
        message = doc["error"]["message"]
        assert "rolled back" not in message and "committed" in message, message
        assert any("ADD COLUMN" in sql for sql in doc["applied"]), doc["applied"]
        with psycopg.connect(url, autocommit=True) as conn:  # the oracle: the catalogs
            cols = {
                r[0]
                for r in conn.execute(
                    "SELECT attname FROM pg_attribute WHERE attrelid = 'users'::regclass"
                    " AND attnum > 0 AND NOT attisdropped"
                )
            }
        assert "nick" in cols  # the transaction was committed
        wait_for("the stopped run's sessions to end", lambda: not dbinit_backends(pg_admin, name))
        again = dbinit(url, "init", "--schema-dir", str(schemas))
        assert again.exit_code == 0, again.stdout + again.stderr
        assert invalid_indexes(url) == []
        assert dbinit(url, "check", "--schema-dir", str(schemas)).exit_code == 0
    finally:
        drop_database(pg_admin, name)
