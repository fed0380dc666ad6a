"""Every example in `examples/` runs: the SQLite-on-Railway app answers its
healthcheck after its own start command, the GitHub Actions workflow's dbinit
steps pass. (The PostgreSQL example runs in tests/postgres/test_examples_postgres.py.)
"""

from __future__ import annotations

import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
from importlib import metadata
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import REPO, child_env, tables
from tests.fastapi_server import HANG, Server

EXAMPLES = REPO / "examples"


def railway(example: str) -> dict[str, Any]:
    doc = json.loads((EXAMPLES / example / "railway.json").read_text())
    deploy = doc["deploy"]
    assert isinstance(deploy, dict)
    return deploy


def sh(command: str, cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    """`command` as Railway or a CI runner would run it: in a shell, dbinit on PATH."""
    path = str(Path(sys.executable).parent) + os.pathsep + os.environ.get("PATH", os.defpath)
    return subprocess.run(
        ["sh", "-c", command],
        cwd=cwd,
        env=child_env(PATH=path, **env),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=HANG,
    )


def workflow() -> dict[str, Any]:
    doc = yaml.safe_load((EXAMPLES / "github-actions" / "dbinit.yml").read_text())
    assert isinstance(doc, dict)
    return doc


def dbinit_steps(doc: dict[str, Any]) -> list[str]:
    steps = doc["jobs"]["schema"]["steps"]
    return [s["run"] for s in steps if "run" in s and s["run"].startswith("dbinit ")]


@pytest.mark.parametrize("example", ["sqlite-railway", "postgres-railway"])
def test_example_folders_are_complete(example: str) -> None:
    folder = EXAMPLES / example
    for name in ("main.py", "railway.json", "requirements.txt", "README.md"):
        assert (folder / name).is_file(), name
    assert sorted(p.name for p in (folder / "schemas").glob("*.sql")) == [
        "001_users.sql",
        "002_portfolio.sql",
    ]
    assert railway(example)["healthcheckPath"] == "/health/db"
    # every requirement is installable from what this repository declares
    provided = set(metadata.metadata("dbinit-schema").get_all("Provides-Extra") or [])
    for line in (folder / "requirements.txt").read_text().splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        match = re.fullmatch(r"([A-Za-z0-9_.-]+)(?:\[([^\]]*)\])?.*", line.strip())
        assert match, line
        metadata.version(match.group(1))  # installed here (the test extra)
        assert match.group(1) != "dbinit", line  # another project's name on the index
        if match.group(1) == "dbinit-schema":
            assert set(match.group(2).split(",")) <= provided


def test_sqlite_example_deploys_and_answers_its_healthcheck(tmp_path: Path) -> None:
    app = tmp_path / "app"
    shutil.copytree(EXAMPLES / "sqlite-railway", app)
    deploy = railway("sqlite-railway")
    for command in deploy["preDeployCommand"]:  # touches no database
        done = sh(command, app)
        assert done.returncode == 0, done.stderr
    assert not (app / "app.db").exists()

    start = deploy["startCommand"]
    assert start.index("dbinit deploy") < start.index("uvicorn")  # the database step first
    server = Server(app, "", child_env(), shell=start.replace("0.0.0.0", "127.0.0.1"))
    try:
        response = server.get(deploy["healthcheckPath"])
        assert response.status_code == 200, (response.text, server.output)
        assert response.json()["status"] == "ok"
        assert server.get("/").json() == {"app": "sqlite-railway example"}
    finally:
        server.stop()
    assert {"users", "portfolio_snapshots"} <= tables(app / "app.db")
    # JSON logs from the database step, one event per line
    init_done = [line for line in server.lines if '"command.done"' in line]
    assert init_done and json.loads(init_done[0])["command"] == "init"


def test_workflow_lints_then_checks_a_database() -> None:
    doc = workflow()
    triggers = doc.get("on", doc.get(True))  # YAML 1.1 reads a bare `on` as true
    assert {"push", "pull_request"} <= set(triggers)
    job = doc["jobs"]["schema"]
    assert job["services"]["postgres"]["image"].startswith("postgres:")
    assert job["env"]["DATABASE_URL"].startswith("postgresql://")
    runs = dbinit_steps(doc)
    assert runs[0] == "dbinit validate --schema-only"
    assert any(r.startswith("dbinit check") for r in runs)


def test_workflow_dbinit_steps_pass_locally_on_sqlite(tmp_path: Path) -> None:
    """The workflow's dbinit steps, run here against a SQLite file (the same
    commands and flags; DBINIT_DATABASE_URL wins over the job's DATABASE_URL)."""
    doc = workflow()
    shutil.copytree(EXAMPLES / "sqlite-railway" / "schemas", tmp_path / "schemas")
    env = {k: str(v) for k, v in doc["jobs"]["schema"]["env"].items()}
    env["DBINIT_DATABASE_URL"] = "sqlite:///ci.db"
    for command in dbinit_steps(doc):
        done = sh(command, tmp_path, **env)
        assert done.returncode == 0, (command, done.stderr)
    report = json.loads(done.stdout)
    assert report["command"] == "check" and report["status"] == "in_sync"
    conn = sqlite3.connect(tmp_path / "ci.db")
    conn.close()
    assert {"users", "portfolio_snapshots"} <= tables(tmp_path / "ci.db")
