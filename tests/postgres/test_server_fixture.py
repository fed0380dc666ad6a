"""The server fixture's rule: without a server, skip with the reason on a
developer's machine, fail under CI=true."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TARGET = "tests/postgres/test_connect.py::test_an_unknown_database_is_69_naming_it"


def run_without_server(ci: str | None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "CI"}
    env["DBINIT_TEST_PG_URL"] = "postgresql://postgres:s3cret@127.0.0.1:1/postgres"
    if ci is not None:
        env["CI"] = ci
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-rs", "-n", "0", "-p", "no:cacheprovider", TARGET],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_no_server_skips_with_the_reason_on_a_developer_machine() -> None:
    done = run_without_server(None)
    assert done.returncode == 0, done.stdout
    assert "1 skipped" in done.stdout
    assert "no PostgreSQL server at postgresql://postgres:***@127.0.0.1:1/postgres" in done.stdout
    assert "s3cret" not in done.stdout


def test_no_server_fails_under_ci() -> None:
    done = run_without_server("true")
    assert done.returncode == 1, done.stdout
    assert "CI=true: PostgreSQL tests must run, not skip" in done.stdout
