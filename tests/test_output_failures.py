"""Output that cannot be written, inside and outside a command, with real processes.

Every output failure is 74 (`DB_009`): a report that cannot be written to a
closed pipe after `init` committed, `--help` or `--version` on a full disk, a
closed pipe or a closed stdout. A usage error stays 2 even when its message
cannot be written. Never a traceback, never 1 (the drift code) or 70.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import child_env, make_db, write_schema

TIMEOUT = 60  # a hang guard, far above any honest run
DBINIT = str(Path(sys.executable).parent / "dbinit")
SCHEMA = {"001.sql": "CREATE TABLE t (id INTEGER PRIMARY KEY, x TEXT);\n"}


def closed_pipe(cwd: Path, *args: str, env: dict[str, str] | None = None) -> tuple[int, str]:
    """Run dbinit with stdout a pipe whose reader has already gone (`dbinit … | true`)."""
    read, write = os.pipe()
    os.close(read)
    try:
        proc = subprocess.run(
            [DBINIT, *args],
            cwd=cwd,
            env=env or child_env(DBINIT_LOG_FORMAT="json"),
            stdin=subprocess.DEVNULL,
            stdout=write,
            stderr=subprocess.PIPE,
            timeout=TIMEOUT,
        )
    finally:
        os.close(write)
    return proc.returncode, proc.stderr.decode()


def run_to(
    cwd: Path, stdout: int | None, *args: str, stderr: int | None = subprocess.PIPE, close: int = -1
) -> tuple[int, str]:
    proc = subprocess.run(
        [DBINIT, *args],
        cwd=cwd,
        env=child_env(DBINIT_LOG_FORMAT="json"),
        stdin=subprocess.DEVNULL,
        stdout=stdout,
        stderr=stderr,
        preexec_fn=(lambda: os.close(close)) if close >= 0 else None,
        timeout=TIMEOUT,
    )
    return proc.returncode, proc.stderr.decode() if isinstance(proc.stderr, bytes) else ""


@pytest.fixture
def project(tmp_path: Path) -> Path:
    write_schema(tmp_path / "schemas", SCHEMA)
    make_db(tmp_path / "app.db", "PRAGMA user_version = 7;")
    return tmp_path


def _unwritable_logged(err: str) -> None:
    assert "Traceback" not in err, err
    events = [json.loads(line) for line in err.splitlines() if line.strip()]
    assert events[-1]["event"] == "report.unwritable", events
    assert events[-1]["error_code"] == "DB_009" and events[-1]["exit_code"] == 74


@pytest.mark.parametrize(
    "args",
    [
        ("check",),
        ("init",),
        ("validate",),
        ("history",),
        ("inspect",),
        ("repair", "--yes"),
        ("check", "-f", "json"),
    ],
)
def test_a_text_report_to_a_closed_pipe_is_74(project: Path, args: tuple[str, ...]) -> None:
    if args[0] in ("history", "inspect"):
        assert run_to(project, subprocess.DEVNULL, "init")[0] == 0
    code, err = closed_pipe(project, *args)
    assert code == 74, err
    _unwritable_logged(err)


def test_init_to_a_closed_pipe_after_committing_is_74(project: Path) -> None:
    code, err = closed_pipe(project, "init")
    assert code == 74, err
    assert run_to(project, subprocess.DEVNULL, "check")[0] == 0  # the write did happen


@pytest.mark.parametrize("args", [("--version",), ("--help",), ("check", "--help")])
def test_help_and_version_on_a_full_disk_are_74(project: Path, args: tuple[str, ...]) -> None:
    with open("/dev/full", "wb") as full:
        code, err = run_to(project, full.fileno(), *args)
    assert code == 74, err
    assert "Traceback" not in err
    assert "cannot write" in err.lower()


@pytest.mark.parametrize("args", [("--version",), ("--help",), ("check", "--help")])
def test_help_and_version_to_a_closed_pipe_are_74(project: Path, args: tuple[str, ...]) -> None:
    code, err = closed_pipe(project, *args)
    assert code == 74, err
    assert "Traceback" not in err


@pytest.mark.parametrize("args", [("--version",), ("--help",)])
def test_help_and_version_to_a_closed_stdout_are_74(project: Path, args: tuple[str, ...]) -> None:
    code, err = run_to(project, None, *args, close=1)
    assert code == 74, err
    assert "Traceback" not in err


@pytest.mark.parametrize("how", ["full", "closed"])
def test_a_usage_error_that_cannot_be_written_is_still_2(project: Path, how: str) -> None:
    if how == "full":
        with open("/dev/full", "wb") as full:
            code, _ = run_to(project, subprocess.DEVNULL, "check", "--bogus", stderr=full.fileno())
    else:
        code, _ = run_to(project, subprocess.DEVNULL, "check", "--bogus", stderr=None, close=2)
    assert code == 2


def test_a_usage_error_is_still_printed(project: Path) -> None:
    code, err = run_to(project, subprocess.DEVNULL, "check", "--bogus")
    assert code == 2
    assert "--bogus" in err
