"""A SIGTERM or SIGINT right after `init` commits on PostgreSQL (issue 14 §4): the
report says the changes were committed and lists them, never "everything was
rolled back", and the exit status is the printed `exit_code`. The CLI sends
itself the signal just after the commit (tests/helpers/signal_at.py)."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import psycopg
import pytest

from tests.conftest import write_schema
from tests.postgres.conftest import create_database, drop_database
from tests.postgres.helpers import HANG_GUARD, dbinit_env, scalar, url_of

HELPER = Path(__file__).parents[1] / "helpers" / "signal_at.py"
REPO = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    ("signum", "expected"),
    [
        pytest.param(signal.SIGTERM, 143, id="SIGTERM"),
        pytest.param(signal.SIGINT, 130, id="SIGINT"),
    ],
)
def test_a_signal_right_after_the_commit_is_reported_as_committed(
    tmp_path: Path, pg_url: str, pg_admin: psycopg.Connection[Any], signum: int, expected: int
) -> None:
    name = create_database(pg_admin, prefix="dbinit_aftercommit_")
    try:
        url = url_of(pg_url, name)
        schemas = write_schema(
            tmp_path / "schemas", {"001.sql": "CREATE TABLE users (id integer PRIMARY KEY);\n"}
        )
        done = subprocess.run(
            [
                *(sys.executable, str(HELPER), "log:apply.committed", str(int(signum)), "init"),
                *("--database", url, "--schema-dir", str(schemas), "--format", "json"),
            ],
            env=dbinit_env(PYTHONPATH=str(REPO)),
            capture_output=True,
            text=True,
            timeout=HANG_GUARD,
            check=False,
        )
        assert "Traceback" not in done.stderr
        doc = json.loads(done.stdout)
        assert done.returncode == doc["exit_code"] == expected, done.stdout + done.stderr[-3000:]
        message = doc["error"]["message"]
        assert doc["error"]["error_code"] == "DB_011", doc["error"]
        assert "rolled back" not in message and "committed" in message, message
        assert any("CREATE TABLE" in sql for sql in doc["applied"]), doc["applied"]
        assert scalar(url, "SELECT to_regclass('public.users') IS NOT NULL") is True
    finally:
        drop_database(pg_admin, name)
