"""Shared fixtures: a clean environment, a temporary working folder, the CLI.

Every test runs in its own `tmp_path` as working directory with no DBINIT_*,
DATABASE_URL or RAILWAY_* variables, so the user's machine cannot leak in.
"""

from __future__ import annotations

import compileall
import hashlib
import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from importlib import metadata
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


def error_of(res: Result, code: int, error_code: str) -> dict[str, Any]:
    """The report's error, once the run exited `code` with `error_code` and no traceback."""
    assert res.exit_code == code, (res.stdout[-2000:], res.stderr[-2000:])
    doc = res.json()
    assert doc["exit_code"] == code
    err = doc["error"]
    assert err["error_code"] == error_code, err
    assert "Traceback" not in res.stderr
    return dict(err)


@pytest.fixture
def cli() -> Any:
    runner = CliRunner()

    def invoke(*args: str, env: dict[str, str] | None = None, input: str | None = None) -> Result:
        res = runner.invoke(app, list(args), env=env, input=input, catch_exceptions=False)
        return Result(res.exit_code, res.stdout, res.stderr)

    return invoke


# --- running dbinit as another user -------------------------------------------------

DROP_TO_NOBODY = ("--reuid=nobody", "--regid=nogroup", "--clear-groups")


def installed_dbinit() -> str:
    """The console script of the running environment."""
    script = Path(sys.executable).parent / "dbinit"
    if script.exists():
        return str(script)
    found = shutil.which("dbinit")
    if not found:
        pytest.skip("the dbinit console script is not installed")
    return found


def _runtime_distributions() -> list[metadata.Distribution]:
    """dbinit and everything it needs at run time (no extras), as installed."""
    found: dict[str, metadata.Distribution] = {}
    todo = ["dbinit-schema"]  # the distribution; its package is `dbinit`
    while todo:
        name = re.sub(r"[-_.]+", "-", todo.pop()).lower()
        if name in found:
            continue
        try:
            dist = metadata.distribution(name)
        except metadata.PackageNotFoundError:
            continue  # a requirement for another platform or Python
        found[name] = dist
        for req in dist.requires or []:
            if "extra ==" not in req:
                match = re.match(r"[A-Za-z0-9._-]+", req)
                if match:
                    todo.append(match.group())
    return list(found.values())


def _copy_runtime(site: Path) -> None:
    """Copy dbinit's source and its run-time dependencies into `site`."""
    site.mkdir(parents=True)
    for dist in _runtime_distributions():
        root = Path(str(dist.locate_file("")))
        tops = {Path(str(f)).parts[0] for f in dist.files or [] if ".." not in Path(str(f)).parts}
        for top in sorted(tops):
            src = root / top
            if top.startswith("__editable__") or not src.exists() or (site / top).exists():
                continue
            if src.is_dir():
                shutil.copytree(src, site / top, symlinks=True)
            else:
                shutil.copy2(src, site / top)
    if not (site / "dbinit").exists():  # an editable install: the checkout's package
        shutil.copytree(REPO / "dbinit", site / "dbinit", ignore=shutil.ignore_patterns("*.pyc"))
    compileall.compile_dir(site / "dbinit", quiet=1)
    for path in [site, *site.rglob("*")]:
        mode = path.lstat().st_mode
        if not path.is_symlink():
            path.chmod((mode | 0o555) if path.is_dir() else (mode | 0o444))


def _interpreters() -> list[str]:
    """Pythons of the running version, the running one first."""
    version = f"python{sys.version_info[0]}.{sys.version_info[1]}"
    names = [
        getattr(sys, "_base_executable", ""),
        os.path.realpath(sys.executable),
        f"/usr/bin/{version}",
        f"/usr/local/bin/{version}",
        shutil.which(version) or "",
    ]
    return list(dict.fromkeys(n for n in names if n and os.path.exists(n)))


@pytest.fixture(scope="session")
def nobody_dbinit() -> Iterator[list[str]]:
    """The command that runs dbinit as a user who owns none of the test files.

    As root: `setpriv` to `nobody`, running a copy of dbinit and its run-time
    dependencies in a world-readable temporary folder, so that the test works
    from any checkout (one in a 0700 folder such as /root/project, which
    `nobody` cannot enter, included). As another user: the installed script.
    """
    if os.geteuid() != 0:
        yield [installed_dbinit()]
        return
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        pytest.skip("running as root and setpriv is absent: cannot drop privileges")
    prefix = [setpriv, *DROP_TO_NOBODY]
    root = Path(tempfile.mkdtemp(prefix="dbinit-nobody-"))
    try:
        root.chmod(0o755)
        site = root / "site"
        _copy_runtime(site)
        want = f"{sys.version_info[0]}.{sys.version_info[1]}"
        probe = "import sys, sqlite3; print('%d.%d' % sys.version_info[:2])"
        tried = []
        python = None
        for candidate in _interpreters():
            res = subprocess.run(
                [*prefix, candidate, "-s", "-c", probe], capture_output=True, text=True, timeout=60
            )
            if res.returncode == 0 and res.stdout.strip() == want:
                python = candidate
                break
            tried.append(f"{candidate}: {(res.stderr.strip().splitlines() or ['?'])[-1]}")
        if python is None:
            pytest.skip(f"no Python {want} that the user nobody can run: {'; '.join(tried)}")
        script = root / "dbinit"
        script.write_text(
            f"#!{python} -s\n"
            "import sys\n"
            f"sys.path.insert(0, {str(site)!r})\n"
            "from dbinit.entry import main\n"
            "sys.exit(main())\n",
            encoding="utf-8",
        )
        script.chmod(0o755)
        command = [*prefix, str(script)]
        res = subprocess.run(
            [*command, "--version"], capture_output=True, text=True, cwd=root, timeout=60
        )
        if res.returncode != 0:
            pytest.skip(f"a copy of dbinit does not run as nobody: {res.stderr.strip()[-500:]}")
        yield command
    finally:
        shutil.rmtree(root, ignore_errors=True)
