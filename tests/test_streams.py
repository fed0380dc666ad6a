"""Closed and full standard streams, with real processes.

A report that cannot be written is an I/O error (exit 74, `DB_009`), never a
code a pipeline reads as drift (1) or a bug (70). Logs that cannot be written
to a broken stderr are dropped: the command keeps its own exit code and its
report. A closed stdin is no terminal: `repair` without `--yes` refuses.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import child_env, digest, make_db, write_schema

TIMEOUT = 60
DBINIT = str(Path(sys.executable).parent / "dbinit")
SCHEMA = {"001.sql": "CREATE TABLE t (id INTEGER PRIMARY KEY, x TEXT);\n"}


def _close(*fds: int) -> Callable[[], None]:
    def close() -> None:
        for fd in fds:
            os.close(fd)

    return close


def run(
    cwd: Path,
    *args: str,
    stdout: int | None = subprocess.PIPE,
    stderr: int | None = subprocess.PIPE,
    close: tuple[int, ...] = (),
) -> tuple[int, str, str]:
    """Run the installed `dbinit`; `close` lists the child's fds closed before exec."""
    with open(os.devnull, "rb") as devnull:
        proc = subprocess.run(
            [DBINIT, *args],
            cwd=cwd,
            env=child_env(DBINIT_RETRY_DELAY="0.05"),
            stdin=devnull,
            stdout=stdout,
            stderr=stderr,
            preexec_fn=_close(*close) if close else None,
            timeout=TIMEOUT,
        )
    out = proc.stdout.decode() if isinstance(proc.stdout, bytes) else ""
    err = proc.stderr.decode() if isinstance(proc.stderr, bytes) else ""
    return proc.returncode, out, err


@pytest.fixture
def drifted(tmp_path: Path) -> Path:
    """A database that lacks the declared table: `check` says drift (exit 1)."""
    write_schema(tmp_path / "schemas", SCHEMA)
    make_db(tmp_path / "app.db", "PRAGMA user_version = 7;")
    return tmp_path


def _io_error_logged(err: str) -> None:
    assert "Traceback" not in err, err
    events = [json.loads(line) for line in err.splitlines() if line.strip()]
    last = events[-1]
    assert last["event"] == "report.unwritable", events
    assert last["error_code"] == "DB_009" and last["exit_code"] == 74, last


@pytest.mark.parametrize("fmt", ["json", "text"])
def test_stdout_on_a_full_disk_is_an_io_error(drifted: Path, fmt: str) -> None:
    with open("/dev/full", "wb") as full:
        code, _, err = run(drifted, "check", "--format", fmt, stdout=full.fileno())
    assert code == 74, err
    _io_error_logged(err)


@pytest.mark.parametrize("fmt", ["json", "text"])
def test_closed_stdout_is_an_io_error(drifted: Path, fmt: str) -> None:
    code, _, err = run(drifted, "check", "--format", fmt, stdout=None, close=(1,))
    assert code == 74, err
    _io_error_logged(err)


def test_init_whose_report_cannot_be_written_is_74_after_applying(drifted: Path) -> None:
    with open("/dev/full", "wb") as full:
        code, _, err = run(drifted, "init", "--format", "json", stdout=full.fileno())
    assert code == 74, err
    _io_error_logged(err)
    # The write itself happened and was verified; only the report was lost.
    code, out, err = run(drifted, "check", "--format", "json")
    assert code == 0, err
    assert json.loads(out)["status"] == "in_sync"


def test_report_lost_and_logs_lost_is_still_74(drifted: Path) -> None:
    with open("/dev/full", "wb") as full:
        code, _, _ = run(
            drifted, "check", "-f", "json", stdout=full.fileno(), stderr=None, close=(2,)
        )
    assert code == 74


@pytest.mark.parametrize("broken", ["closed", "full"])
@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (("check",), 1),
        (("init",), 0),
        (("validate", "--schema-only"), 0),
        (("check",), 78),  # with a bad setting in .env
    ],
)
def test_a_broken_stderr_keeps_the_exit_code_and_the_report(
    drifted: Path, broken: str, args: tuple[str, ...], expected: int
) -> None:
    if expected == 78:
        (drifted / ".env").write_text("DBINIT_RETRY_ATTEMPTS=many\n")
    if broken == "closed":
        code, out, _ = run(drifted, *args, "-f", "json", stderr=None, close=(2,))
    else:
        with open("/dev/full", "wb") as full:
            code, out, _ = run(drifted, *args, "-f", "json", stderr=full.fileno())
    assert code == expected, out
    doc = json.loads(out)  # exactly one JSON document
    assert doc["exit_code"] == expected


def test_a_broken_stderr_in_text_mode_keeps_the_report(drifted: Path) -> None:
    code, out, _ = run(drifted, "check", stderr=None, close=(2,))
    assert code == 1
    assert "Drift" in out


@pytest.mark.parametrize(
    ("args", "expected", "status"),
    [
        (("repair",), 3, "refused"),  # no terminal to ask on: needs --yes
        (("repair", "--yes"), 0, "applied"),
        (("check",), 1, "drift"),
    ],
)
def test_closed_stdin(drifted: Path, args: tuple[str, ...], expected: int, status: str) -> None:
    before = digest(drifted / "app.db")
    code, out, err = run(drifted, *args, "-f", "json", close=(0,))
    assert code == expected, err
    assert "Traceback" not in err
    doc = json.loads(out)
    assert doc["status"] == status
    if expected != 0:
        assert digest(drifted / "app.db") == before
    if status == "refused":
        assert doc["error"]["error_code"] == "DB_007"
