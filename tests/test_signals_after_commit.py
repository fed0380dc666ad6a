"""A signal that lands right after the commit, or after the report was printed
(issue 14 §4), with real processes: the CLI sends itself the signal at exactly
that moment (tests/helpers/signal_at.py).

* After the commit the report says the changes were committed (never "rolled
  back; nothing was changed"), lists them in `applied`, and `repair`'s backup
  stays where the report says it is.
* After the report was printed, the exit status is the printed `exit_code`.
"""

from __future__ import annotations

import json
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import child_env, make_db, write_schema

GUARD = 60  # a hang guard only
HELPER = Path(__file__).parent / "helpers" / "signal_at.py"
REPO = Path(__file__).resolve().parents[1]
SIGNALS = [
    pytest.param(signal.SIGTERM, 143, id="SIGTERM"),
    pytest.param(signal.SIGINT, 130, id="SIGINT"),
]


def run_at(cwd: Path, where: str, signum: int, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(HELPER), where, str(int(signum)), *args],
        cwd=cwd,
        env=child_env(DBINIT_LOG_FORMAT="json", DBINIT_RETRY_DELAY="0.05", PYTHONPATH=str(REPO)),
        capture_output=True,
        text=True,
        timeout=GUARD,
        check=False,
    )


@pytest.mark.parametrize(("signum", "expected"), SIGNALS)
def test_a_signal_right_after_repair_commits_keeps_and_names_the_backup(
    tmp_path: Path, signum: int, expected: int
) -> None:
    db = make_db(
        tmp_path / "app.db",
        "CREATE TABLE t (id INTEGER PRIMARY KEY, x TEXT); INSERT INTO t VALUES (1, 'a');",
    )
    write_schema(
        tmp_path / "schemas",
        {"001.sql": "CREATE TABLE t (id INTEGER PRIMARY KEY, x TEXT NOT NULL DEFAULT '');\n"},
    )
    done = run_at(tmp_path, "log:apply.committed", signum, "repair", "--yes", "-f", "json")
    assert "Traceback" not in done.stderr
    doc = json.loads(done.stdout)
    assert done.returncode == doc["exit_code"] == expected, done.stdout + done.stderr[-2000:]
    error = doc["error"]
    assert error["error_code"] == "DB_011", error
    assert "rolled back" not in error["message"] and "committed" in error["message"], error
    assert doc["applied"], doc
    assert doc["backup"], doc
    backup = Path(doc["backup"])
    assert backup.exists(), "the backup of a committed repair was deleted"
    with sqlite3.connect(backup) as conn:  # the copy from before the repair
        assert "NOT NULL" not in conn.execute("SELECT sql FROM sqlite_schema").fetchone()[0]
    with sqlite3.connect(db) as conn:  # the repair was committed
        assert "NOT NULL" in conn.execute("SELECT sql FROM sqlite_schema").fetchone()[0]
        assert conn.execute("SELECT x FROM t").fetchall() == [("a",)]


@pytest.mark.parametrize(("signum", "expected"), SIGNALS)
def test_a_signal_right_after_init_commits_on_a_new_file_says_committed(
    tmp_path: Path, signum: int, expected: int
) -> None:
    write_schema(tmp_path / "schemas", {"001.sql": "CREATE TABLE t (id INTEGER PRIMARY KEY);\n"})
    done = run_at(tmp_path, "log:apply.committed", signum, "init", "-f", "json")
    doc = json.loads(done.stdout)
    assert done.returncode == doc["exit_code"] == expected, done.stdout + done.stderr[-2000:]
    assert "committed" in doc["error"]["message"], doc["error"]
    assert doc["applied"], doc
    with sqlite3.connect(tmp_path / "app.db") as conn:  # kept, not discarded as "new"
        names = {r[0] for r in conn.execute("SELECT name FROM sqlite_schema")}
        assert "t" in names, names


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
@pytest.mark.parametrize("fmt", ["json", "text"])
def test_a_signal_after_the_report_was_printed_keeps_its_exit_code(
    tmp_path: Path, signum: int, fmt: str
) -> None:
    write_schema(tmp_path / "schemas", {"001.sql": "CREATE TABLE t (id INTEGER PRIMARY KEY);\n"})
    done = run_at(tmp_path, "render", signum, "init", "-f", fmt)
    assert "Traceback" not in done.stderr
    if fmt == "json":
        assert json.loads(done.stdout)["exit_code"] == 0
    assert done.returncode == 0, done.stdout + done.stderr[-2000:]
    # One report only: nothing about an interrupt was added after it.
    assert "interrupted" not in done.stdout.lower() and "interrupted" not in done.stderr.lower()
