"""Railway: `railway-predeploy.sh` (docs/railway.md) and the Railway settings rules
(docs/settings.md, "On Railway").

The script runs for real (bash, the venv's `dbinit` on PATH) in the test's
working folder; the settings rules go through the CLI with RAILWAY_* set.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import REPO, make_db, write_schema

SCRIPT = REPO / "railway-predeploy.sh"
BASH = shutil.which("bash") or "/bin/bash"
VENV_BIN = Path(sys.executable).parent


def run_script(
    *args: str, path: str | None = None, extra_env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    env["PATH"] = path if path is not None else f"{VENV_BIN}{os.pathsep}{env.get('PATH', '')}"
    env.update(extra_env or {})
    return subprocess.run(
        [BASH, str(SCRIPT), *args],
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=120,
    )


def json_lines(text: str) -> list[dict[str, Any]]:
    """Every non-empty line of `text` parsed as one JSON object."""
    events = [json.loads(line) for line in text.splitlines() if line.strip()]
    assert all(isinstance(e, dict) for e in events)
    return events


def files_in(folder: Path) -> set[str]:
    return {str(p.relative_to(folder)) for p in folder.rglob("*")}


# --- the script ----------------------------------------------------------------


def test_script_is_an_executable_bash_script() -> None:
    assert SCRIPT.is_file()
    assert os.access(SCRIPT, os.X_OK)
    lines = SCRIPT.read_text(encoding="utf-8").splitlines()
    assert lines[0] == "#!/usr/bin/env bash"
    assert "set -euo pipefail" in lines
    # Settings come from the environment only (docs/railway.md).
    body = "\n".join(line for line in lines if not line.lstrip().startswith("#"))
    for option in ("--database", "--schema-dir", " -d ", " -s "):
        assert option not in body


def test_schema_only_passes_on_shipped_schemas_without_a_database(
    shipped_schemas: Path, tmp_path: Path
) -> None:
    before = files_in(tmp_path)
    res = run_script("--schema-only")
    assert res.returncode == 0, res.stderr
    assert files_in(tmp_path) == before  # no database file, nothing else either


def test_schema_only_fails_65_on_a_broken_schema_file(tmp_path: Path) -> None:
    write_schema(
        tmp_path / "schemas",
        {
            "001_users.sql": "CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT);\n",
            "002_broken.sql": "CREATE TABLE broken (id INTEGER PRIMARY KEY,, x TEXT);\n",
        },
    )
    before = files_in(tmp_path)
    res = run_script("--schema-only")
    assert res.returncode == 65, (res.stdout, res.stderr)
    assert "002_broken.sql:1" in res.stdout + res.stderr
    assert files_in(tmp_path) == before
    assert not (tmp_path / "app.db").exists()


def test_full_mode_creates_the_database_then_is_idempotent(
    shipped_schemas: Path, tmp_path: Path
) -> None:
    db = tmp_path / "app.db"
    res = run_script()
    assert res.returncode == 0, (res.stdout, res.stderr)
    assert db.is_file()

    events = json_lines(res.stderr)  # JSON logs: every stderr line is a JSON object
    done = [e for e in events if e["event"] == "command.done"]
    assert [(e["command"], e["exit_code"]) for e in done] == [("init", 0), ("validate", 0)]
    assert done[0]["status"] == "applied"

    res = run_script()
    assert res.returncode == 0, (res.stdout, res.stderr)
    done = [e for e in json_lines(res.stderr) if e["event"] == "command.done"]
    assert [(e["command"], e["status"]) for e in done] == [
        ("init", "in_sync"),
        ("validate", "in_sync"),
    ]


def test_full_mode_stops_at_init_and_keeps_its_exit_code(
    shipped_schemas: Path, tmp_path: Path
) -> None:
    """A pending rebuild: init refuses with 3, the script exits 3, validate never runs."""
    assert run_script().returncode == 0
    portfolio = shipped_schemas / "002_portfolio.sql"
    portfolio.write_text(
        portfolio.read_text(encoding="utf-8").replace(
            "snapshot_data TEXT NOT NULL", "snapshot_data BLOB NOT NULL"
        ),
        encoding="utf-8",
    )
    res = run_script()
    assert res.returncode == 3, (res.stdout, res.stderr)
    events = json_lines(res.stderr)
    assert {e.get("command") for e in events} == {"init"}  # validate was not run
    done = [e for e in events if e["event"] == "command.done"]
    assert len(done) == 1
    assert done[0]["exit_code"] == 3
    assert done[0]["error_code"] == "DB_007"


def test_full_mode_passes_validate_failures_through(tmp_path: Path) -> None:
    """init succeeds (extra objects never block it), validate fails on them: exit 1."""
    write_schema(
        tmp_path / "schemas",
        {"001.sql": "CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT);\n"},
    )
    make_db(tmp_path / "app.db", "CREATE TABLE leftovers (id INTEGER PRIMARY KEY);")
    res = run_script()
    assert res.returncode == 1, (res.stdout, res.stderr)
    done = [e for e in json_lines(res.stderr) if e["event"] == "command.done"]
    assert [(e["command"], e["exit_code"]) for e in done] == [("init", 0), ("validate", 1)]


@pytest.mark.parametrize(
    "args", [("--bogus",), ("schema-only",), ("--schema-only", "extra"), ("",)]
)
def test_bad_arguments_exit_2_with_usage(shipped_schemas: Path, args: tuple[str, ...]) -> None:
    res = run_script(*args)
    assert res.returncode == 2, (res.stdout, res.stderr)
    assert "usage" in res.stderr.lower()
    assert res.stdout == ""
    assert not Path("app.db").exists()


def test_dbinit_not_on_path_exits_127(shipped_schemas: Path, tmp_path: Path) -> None:
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    for args in ((), ("--schema-only",)):
        res = run_script(*args, path=str(empty))
        assert res.returncode == 127, (res.stdout, res.stderr)
        lines = res.stderr.strip().splitlines()
        assert len(lines) == 1
        assert "dbinit" in lines[0]
        assert "PATH" in lines[0]
    assert not (tmp_path / "app.db").exists()


# --- Railway settings rules through the CLI (docs/settings.md) ----------------------


def test_volume_mount_path_is_the_default_database_folder(
    cli: Any, shipped_schemas: Path, tmp_path: Path
) -> None:
    vol = tmp_path / "volume"
    vol.mkdir()
    env = {"RAILWAY_VOLUME_MOUNT_PATH": str(vol)}
    res = cli("init", "--format", "json", "--log-format", "json", env=env)
    assert res.exit_code == 0, (res.stdout, res.stderr)
    doc = res.json()
    assert doc["status"] == "applied"
    assert doc["database"] == f"sqlite:///{vol / 'app.db'}"
    assert (vol / "app.db").is_file()
    assert not (tmp_path / "app.db").exists()


@pytest.mark.parametrize(
    ("how", "args", "extra_env"),
    [
        ("option", ("--database", "mine.db"), {}),
        ("DBINIT_DATABASE_URL", (), {"DBINIT_DATABASE_URL": "sqlite:///mine.db"}),
        ("DATABASE_URL", (), {"DATABASE_URL": "sqlite:///mine.db"}),
    ],
)
def test_a_configured_database_beats_the_volume_default(
    cli: Any,
    shipped_schemas: Path,
    tmp_path: Path,
    how: str,
    args: tuple[str, ...],
    extra_env: dict[str, str],
) -> None:
    vol = tmp_path / "volume"
    vol.mkdir()
    env = {"RAILWAY_VOLUME_MOUNT_PATH": str(vol), **extra_env}
    res = cli("check", "--format", "json", "--log-format", "json", *args, env=env)
    assert res.exit_code == 1, (how, res.stdout, res.stderr)
    assert res.json()["database"] == "sqlite:///mine.db", how


@pytest.mark.parametrize("mounted_elsewhere", [False, True])
@pytest.mark.parametrize("command", ["check", "init", "validate"])
def test_database_outside_the_volume_logs_a_warning_on_railway(
    cli: Any, shipped_schemas: Path, tmp_path: Path, command: str, mounted_elsewhere: bool
) -> None:
    env = {"RAILWAY_ENVIRONMENT": "production"}
    args: tuple[str, ...] = ()
    if mounted_elsewhere:
        vol = tmp_path / "volume"
        vol.mkdir()
        env["RAILWAY_VOLUME_MOUNT_PATH"] = str(vol)
        args = ("--database", str(tmp_path / "elsewhere.db"))
    res = cli(command, "--format", "json", "--log-format", "json", *args, env=env)
    assert res.exit_code in (0, 1), (res.stdout, res.stderr)
    warnings = [e for e in json_lines(res.stderr) if e["event"] == "railway.ephemeral_database"]
    assert len(warnings) == 1, res.stderr
    assert warnings[0]["level"] == "warning"
    assert "will not survive a redeploy" in warnings[0]["message"]


def test_database_on_the_volume_logs_no_ephemeral_warning(
    cli: Any, shipped_schemas: Path, tmp_path: Path
) -> None:
    vol = tmp_path / "volume"
    vol.mkdir()
    env = {"RAILWAY_ENVIRONMENT": "production", "RAILWAY_VOLUME_MOUNT_PATH": str(vol)}
    res = cli("check", "--format", "json", "--log-format", "json", env=env)
    assert res.exit_code == 1, (res.stdout, res.stderr)
    events = [e["event"] for e in json_lines(res.stderr)]
    assert "railway.ephemeral_database" not in events


def test_no_railway_no_warning(cli: Any, shipped_schemas: Path) -> None:
    res = cli("check", "--format", "json", "--log-format", "json")
    assert res.exit_code == 1
    assert "railway.ephemeral_database" not in [e["event"] for e in json_lines(res.stderr)]


@pytest.mark.parametrize("volume_exists", [True, False])
def test_init_refuses_when_the_volume_is_not_mounted(
    cli: Any, shipped_schemas: Path, tmp_path: Path, volume_exists: bool
) -> None:
    """As in a pre-deploy command: RAILWAY_ENVIRONMENT set, the volume path a plain folder."""
    vol = tmp_path / "volume"
    if volume_exists:
        vol.mkdir()
    assert not os.path.ismount(vol)
    env = {"RAILWAY_ENVIRONMENT": "production", "RAILWAY_VOLUME_MOUNT_PATH": str(vol)}
    before = files_in(tmp_path)

    res = cli("init", "--format", "json", "--log-format", "json", env=env)
    assert res.exit_code == 69, (res.stdout, res.stderr)
    doc = res.json()
    assert doc["status"] == "error"
    assert doc["exit_code"] == 69
    assert doc["applied"] == []
    assert doc["error"]["error_code"] == "DB_001"
    assert doc["error"]["error"] == "connection_error"
    message = doc["error"]["message"].lower()
    assert "not mounted" in message
    assert "start command" in message
    assert files_in(tmp_path) == before  # no database, no folder, nothing

    # The same in text mode: a short error panel, still exit 69.
    res = cli("init", "--log-format", "json", env=env)
    assert res.exit_code == 69
    assert "DB_001" in res.stdout
    assert files_in(tmp_path) == before

    # check is read-only and still runs: a missing database is drift.
    res = cli("check", "--format", "json", "--log-format", "json", env=env)
    assert res.exit_code == 1, (res.stdout, res.stderr)
    doc = res.json()
    assert doc["status"] == "drift"
    assert doc["error"] is None
    assert {c["name"] for c in doc["changes"]} >= {"users", "portfolio_snapshots"}
    assert files_in(tmp_path) == before


@pytest.mark.parametrize(
    ("args", "expected"), [((), "deploy"), (("--schema-only",), "deploy --pre-deploy")]
)
def test_script_is_a_thin_wrapper_of_dbinit_deploy(
    tmp_path: Path, args: tuple[str, ...], expected: str
) -> None:
    """The script only maps its flag onto `dbinit deploy` and keeps its exit code."""
    fake_bin = tmp_path / "fake-bin"
    fake_bin.mkdir()
    fake = fake_bin / "dbinit"
    fake.write_text('#!/bin/sh\necho "$*" > called.txt\nexit 42\n', encoding="utf-8")
    fake.chmod(0o755)
    res = run_script(*args, path=f"{fake_bin}{os.pathsep}/usr/bin:/bin")
    assert res.returncode == 42, (res.stdout, res.stderr)
    assert (tmp_path / "called.txt").read_text(encoding="utf-8").strip() == expected
