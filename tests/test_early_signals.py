"""Signals at any moment of a run, with real processes.

* From the moment the console script's handlers are installed (before typer,
  rich or the CLI are imported), SIGTERM is exit 143 and SIGINT 130, with the
  one JSON error document (`interrupted`, DB_011) when JSON was asked for and
  never a traceback, even before the command started.
* A signal while the schema files are executed into SQLite's `:memory:`
  database is the interrupt, not a schema error.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import child_env, write_schema

TIMEOUT = 60  # a hang guard, far above any honest run
DBINIT = str(Path(sys.executable).parent / "dbinit")


def start(cwd: Path, *args: str, **env: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [DBINIT, *args],
        cwd=cwd,
        env=child_env(DBINIT_LOG_FORMAT="json", **env),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def handles_sigterm(pid: int) -> bool:
    """Whether the process has a handler for SIGTERM (its `SigCgt` mask)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return False
    for line in status.splitlines():
        if line.startswith("SigCgt:"):
            return bool(int(line.split()[1], 16) >> (signal.SIGTERM - 1) & 1)
    return False


def wait_for_handlers(proc: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + TIMEOUT
    while not handles_sigterm(proc.pid):
        if proc.poll() is not None or time.monotonic() > deadline:
            pytest.fail(f"dbinit never installed its handlers: {proc.communicate()}")
        time.sleep(0.0005)


def finish(proc: subprocess.Popen[str]) -> tuple[int, str, str]:
    try:
        out, err = proc.communicate(timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, err = proc.communicate()
        pytest.fail(f"dbinit did not finish in {TIMEOUT} s: {err[-2000:]}")
    return proc.returncode, out, err


@pytest.fixture
def slow_schema(tmp_path: Path) -> Path:
    """A schema that takes SQLite seconds to load: every moment below is inside the run."""
    tables = "\n".join(
        f"CREATE TABLE t{i} (id INTEGER PRIMARY KEY, a TEXT);" for i in range(10_000)
    )
    write_schema(tmp_path / "schemas", {"001.sql": tables + "\n"})
    return tmp_path


def assert_interrupted(code: int, out: str, err: str, signum: int, *, json_doc: bool) -> None:
    assert code == 128 + signum, (code, out, err[-2000:])
    assert "Traceback" not in err + out, err
    if json_doc:
        doc = json.loads(out)  # exactly one JSON document
        assert doc["status"] == "error" and doc["exit_code"] == 128 + signum, doc
        assert doc["error"]["error"] == "interrupted", doc
        assert doc["error"]["error_code"] == "DB_011", doc
        assert signal.Signals(signum).name in doc["error"]["message"], doc


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
@pytest.mark.parametrize("delay", [0.0, 0.002, 0.01, 0.03, 0.06, 0.1, 0.2, 0.4])
def test_a_signal_at_any_moment_is_the_interrupt(
    slow_schema: Path, signum: int, delay: float
) -> None:
    proc = start(slow_schema, "check", "-f", "json")
    wait_for_handlers(proc)
    time.sleep(delay)
    proc.send_signal(signum)
    assert_interrupted(*finish(proc), signum, json_doc=True)


@pytest.mark.parametrize("delay", [0.0, 0.01, 0.05])
def test_an_early_signal_with_dbinit_format_json(slow_schema: Path, delay: float) -> None:
    proc = start(slow_schema, "check", DBINIT_FORMAT="json")
    wait_for_handlers(proc)
    time.sleep(delay)
    proc.send_signal(signal.SIGTERM)
    assert_interrupted(*finish(proc), signal.SIGTERM, json_doc=True)


@pytest.mark.parametrize("delay", [0.0, 0.05])
def test_an_early_signal_in_text_mode(slow_schema: Path, delay: float) -> None:
    proc = start(slow_schema, "check")
    wait_for_handlers(proc)
    time.sleep(delay)
    proc.send_signal(signal.SIGTERM)
    code, out, err = finish(proc)
    assert_interrupted(code, out, err, signal.SIGTERM, json_doc=False)
    assert "SIGTERM" in out + err


@pytest.mark.parametrize("command", ["check", "init"])
def test_a_signal_while_the_schema_files_load_is_the_interrupt(
    slow_schema: Path, command: str
) -> None:
    proc = start(slow_schema, command, "-f", "json", "--log-level", "debug")
    assert proc.stderr is not None
    for line in proc.stderr:  # the settings are loaded: next comes the schema
        if '"settings.loaded"' in line:
            break
    time.sleep(1.0)  # SQLite is executing the 10,000 CREATE TABLE statements
    proc.send_signal(signal.SIGTERM)
    code, out, err = finish(proc)
    assert_interrupted(code, out, err, signal.SIGTERM, json_doc=True)
    assert not (slow_schema / "app.db").exists()
