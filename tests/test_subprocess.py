"""Real processes: the installed console script and `python -m dbinit`.

Nothing here goes through CliRunner: exit codes, stdout and stderr are what a
deploy pipeline sees, and the concurrency tests race real `dbinit init`
processes on one fresh file.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import dbinit
from tests.conftest import Result, child_env, digest, make_db, tables

TIMEOUT = 60


def script() -> list[str]:
    candidate = Path(sys.executable).parent / "dbinit"
    if candidate.exists():
        return [str(candidate)]
    found = shutil.which("dbinit")
    if found is None:
        pytest.skip("the dbinit console script is not installed")
    return [found]


ENTRY_POINTS = {
    "script": script,
    "module": lambda: [sys.executable, "-m", "dbinit"],
}


def run(entry: str, cwd: Path, *args: str, **env: str) -> Result:
    proc = subprocess.Popen(
        [*ENTRY_POINTS[entry](), *args],
        cwd=cwd,
        env=child_env(**env),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        out, err = proc.communicate(timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, err = proc.communicate()
        pytest.fail(f"dbinit {' '.join(args)} did not finish in {TIMEOUT} s: {err}")
    return Result(proc.returncode, out, err)


def history_count(path: Path) -> int:
    conn = sqlite3.connect(path)
    try:
        return int(conn.execute("SELECT count(*) FROM _dbinit_history").fetchone()[0])
    finally:
        conn.close()


entries = pytest.mark.parametrize("entry", list(ENTRY_POINTS))


@entries
def test_version(entry: str, tmp_path: Path) -> None:
    res = run(entry, tmp_path, "--version")
    assert res.exit_code == 0, res.stderr
    assert res.stdout.strip() == f"dbinit {dbinit.__version__}"
    assert list(tmp_path.iterdir()) == []


@entries
def test_init_then_check_on_shipped_schemas(
    entry: str, shipped_schemas: Path, tmp_path: Path
) -> None:
    res = run(entry, tmp_path, "check", "--format", "json")
    assert res.exit_code == 1, (res.stdout, res.stderr)
    assert json.loads(res.stdout)["status"] == "drift"
    assert not (tmp_path / "app.db").exists()

    res = run(entry, tmp_path, "init", "--format", "json")
    assert res.exit_code == 0, (res.stdout, res.stderr)
    doc = json.loads(res.stdout)
    assert doc["status"] == "applied"
    assert doc["database"] == "sqlite:///app.db"
    db = tmp_path / "app.db"
    assert {"users", "portfolio_snapshots", "_dbinit_history"} <= tables(db)
    assert history_count(db) == 1

    before = digest(db)
    res = run(entry, tmp_path, "check", "--format", "json")
    assert res.exit_code == 0, (res.stdout, res.stderr)
    assert json.loads(res.stdout)["changes"] == []
    res = run(entry, tmp_path, "validate", "--format", "json")
    assert res.exit_code == 0, (res.stdout, res.stderr)
    assert digest(db) == before


@entries
def test_stderr_is_json_lines_when_not_a_tty(
    entry: str, shipped_schemas: Path, tmp_path: Path
) -> None:
    res = run(entry, tmp_path, "init")
    assert res.exit_code == 0, (res.stdout, res.stderr)
    lines = [json.loads(line) for line in res.stderr.splitlines() if line.strip()]
    events = {entry["event"] for entry in lines}
    assert {"schema.loaded", "apply.committed", "verify.done"} <= events
    assert all(e["level"] == e["level"].lower() for e in lines)
    assert all(str(e["timestamp"]).endswith("Z") for e in lines)


EXIT_CASES: list[tuple[str, list[str], dict[str, str], int]] = [
    ("in-sync", ["check"], {}, 0),
    ("drift", ["check", "--database", "other.db"], {}, 1),
    ("unknown-option", ["check", "--bogus"], {}, 2),
    ("schema-missing", ["check", "--schema-dir", "nowhere"], {}, 66),
    ("bad-setting", ["check"], {"DBINIT_RETRY_ATTEMPTS": "abc"}, 78),
    ("env-database", ["check"], {"DBINIT_DATABASE_URL": "sqlite:///other.db"}, 1),
    ("bad-url", ["check", "--database", "mysql://u:secret@h/db"], {}, 78),
]


@entries
@pytest.mark.parametrize(
    ("args", "env", "code"), [c[1:] for c in EXIT_CASES], ids=[c[0] for c in EXIT_CASES]
)
def test_check_exit_codes(
    entry: str,
    shipped_schemas: Path,
    tmp_path: Path,
    args: list[str],
    env: dict[str, str],
    code: int,
) -> None:
    db = make_db(tmp_path / "app.db", "\n".join(p.read_text() for p in shipped_schemas.glob("*")))
    before = digest(db)
    res = run(entry, tmp_path, *args, **env)
    assert res.exit_code == code, (res.stdout, res.stderr)
    assert "Traceback" not in res.stderr
    assert "secret" not in res.stdout + res.stderr
    assert digest(db) == before
    assert not (tmp_path / "other.db").exists()


# --- concurrency ----------------------------------------------------------------------


@pytest.mark.parametrize("count", [2, 8])
def test_concurrent_inits_apply_once(count: int, shipped_schemas: Path, tmp_path: Path) -> None:
    """N `dbinit init` started at once on a fresh file: all exit 0, applied exactly once."""
    cmd = [*script(), "init", "--format", "json"]
    procs = [
        subprocess.Popen(
            cmd,
            cwd=tmp_path,
            env=child_env(),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(count)
    ]
    results: list[tuple[int, str, str]] = []
    try:
        for proc in procs:
            out, err = proc.communicate(timeout=TIMEOUT)
            results.append((proc.returncode, out, err))
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait()

    for code, out, err in results:
        assert code == 0, (out, err)
        assert "Traceback" not in err
    docs: list[dict[str, Any]] = [json.loads(out) for _, out, _ in results]
    statuses = sorted(d["status"] for d in docs)
    assert statuses.count("applied") == 1, statuses
    assert set(statuses) <= {"applied", "in_sync"}

    db = tmp_path / "app.db"
    assert {"users", "portfolio_snapshots"} <= tables(db)
    assert history_count(db) == 1
    conn = sqlite3.connect(db)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    finally:
        conn.close()
    res = run("script", tmp_path, "check", "--format", "json")
    assert res.exit_code == 0, (res.stdout, res.stderr)
