"""Shared fixtures: a clean environment, a temporary working folder, the CLI.

Every test runs in its own `tmp_path` as working directory with no DBINIT_*,
DATABASE_URL or RAILWAY_* variables, so the user's machine cannot leak in.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import structlog
from typer.testing import CliRunner

from dbinit.cli import app

REPO = Path(__file__).resolve().parent.parent
SHIPPED_SCHEMAS = REPO / "schemas"


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Path]:
    for name in list(os.environ):
        if name.startswith(("DBINIT_", "RAILWAY_")) or name in ("DATABASE_URL", "NO_COLOR"):
            monkeypatch.delenv(name, raising=False)
    # Fast lock retries unless a test asks for more.
    monkeypatch.setenv("DBINIT_RETRY_DELAY", "0.05")
    monkeypatch.chdir(tmp_path)
    yield tmp_path
    structlog.reset_defaults()


@pytest.fixture
def shipped_schemas(tmp_path: Path) -> Path:
    """A copy of the repository's schemas/ in the working folder."""
    dest = tmp_path / "schemas"
    shutil.copytree(SHIPPED_SCHEMAS, dest)
    return dest


def write_schema(folder: Path, files: dict[str, str]) -> Path:
    """Write `{relative name: SQL}` into `folder` (created, emptied first)."""
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    for name, sql in files.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(sql, encoding="utf-8")
    return folder


# The seed's story: a database that has `users` (with rows) but no portfolio_snapshots.
USERS_ONLY = """
CREATE TABLE users (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    email TEXT UNIQUE NOT NULL,
    password_hash TEXT NOT NULL,
    created_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP,
    updated_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP
);
INSERT INTO users (email, password_hash) VALUES ('a@x.io', 'h1'), ('b@x.io', 'h2');
"""


def child_env(**extra: str) -> dict[str, str]:
    """The environment for a child process, without DBINIT_*, DATABASE_URL,
    RAILWAY_* or NO_COLOR leaking in from the machine, plus `extra`."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DBINIT_", "RAILWAY_")) and k not in ("DATABASE_URL", "NO_COLOR")
    }
    env.update(extra)
    return env


def tables(path: Path) -> set[str]:
    """Names of the tables in a database file."""
    conn = sqlite3.connect(path)
    try:
        rows = conn.execute("SELECT name FROM sqlite_schema WHERE type = 'table'").fetchall()
    finally:
        conn.close()
    return {r[0] for r in rows}


def make_db(path: Path, sql: str) -> Path:
    conn = sqlite3.connect(path)
    conn.executescript(sql)
    conn.commit()
    conn.close()
    return path


def digest(path: Path) -> str | None:
    """sha256 of a file (None when it does not exist): proves nothing was written."""
    if not path.exists():
        return None
    return hashlib.sha256(path.read_bytes()).hexdigest()


@dataclass
class Result:
    exit_code: int
    stdout: str
    stderr: str

    def json(self) -> dict[str, Any]:
        """stdout parsed as exactly one JSON document."""
        doc = json.loads(self.stdout)
        assert isinstance(doc, dict)
        return doc


@pytest.fixture
def cli() -> Any:
    runner = CliRunner()

    def invoke(*args: str, env: dict[str, str] | None = None, input: str | None = None) -> Result:
        res = runner.invoke(app, list(args), env=env, input=input, catch_exceptions=False)
        return Result(res.exit_code, res.stdout, res.stderr)

    return invoke
