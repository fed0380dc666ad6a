"""The package as users get it: `python -m build` makes an sdist and a wheel (the
wheel built from the sdist, so the sdist is complete), the wheel installs into a
fresh virtual environment outside the repository, and its `dbinit deploy` runs
in an app folder that holds only `schemas/`.

Needs the package index (or pip's cache) for the build backend and dbinit's
dependencies. The install time is printed (run with -s to see it), never asserted.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tarfile
import time
import zipfile
from email.parser import Parser
from pathlib import Path

from tests.conftest import REPO, SHIPPED_SCHEMAS, child_env, tables

HANG_GUARD = 900  # seconds: far above any honest build or install

_SKIP = shutil.ignore_patterns(
    ".venv", ".git", "build", "dist", "*.egg-info", "__pycache__", "*.pyc", ".*_cache", "app.db*"
)


def run(*argv: str | Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    res = subprocess.run(
        [str(a) for a in argv],
        cwd=cwd,
        env=child_env(PIP_DISABLE_PIP_VERSION_CHECK="1"),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=HANG_GUARD,
    )
    assert res.returncode == 0, (argv, res.stdout[-3000:], res.stderr[-3000:])
    return res


def test_wheel_installs_in_a_fresh_venv_and_deploys(tmp_path: Path) -> None:
    source = tmp_path / "source"  # a copy: building writes nothing into the checkout
    shutil.copytree(REPO, source, ignore=_SKIP)
    dist = tmp_path / "dist"
    run(sys.executable, "-m", "build", "--outdir", dist, source, cwd=tmp_path)
    (wheel,) = dist.glob("dbinit_schema-0.2.0-*.whl")
    (sdist,) = dist.glob("dbinit_schema-0.2.0.tar.gz")

    with zipfile.ZipFile(wheel) as zf:
        names = set(zf.namelist())
        meta_name = next(n for n in names if n.endswith(".dist-info/METADATA"))
        meta = Parser().parsestr(zf.read(meta_name).decode("utf-8"))
    assert "dbinit/py.typed" in names
    assert "dbinit/sqlite/backend.py" in names
    assert "dbinit/postgres/backend.py" in names or "dbinit/postgres/model.py" in names
    assert not any(n.startswith(("tests/", "schemas/")) for n in names)
    assert (meta["Name"], meta["Version"]) == ("dbinit-schema", "0.2.0")
    assert meta["Requires-Python"] == ">=3.11"
    assert "postgres" in meta.get_all("Provides-Extra", [])
    assert meta["Description-Content-Type"] == "text/markdown"
    assert "License :: OSI Approved :: MIT License" in meta.get_all("Classifier", [])
    assert meta.get_payload().strip()  # the README as the long description
    with tarfile.open(sdist) as tf:
        members = {m.name.split("/", 1)[1] for m in tf.getmembers() if "/" in m.name}
    assert {"LICENSE", "dbinit/py.typed", "railway-predeploy.sh", "pyproject.toml"} <= members

    venv = tmp_path / "venv"  # outside the repository, no site packages of ours
    run(sys.executable, "-m", "venv", venv, cwd=tmp_path)
    started = time.perf_counter()
    run(venv / "bin" / "python", "-m", "pip", "install", "--quiet", wheel, cwd=tmp_path)
    seconds = time.perf_counter() - started
    print(f"\nwheel install into a fresh venv: {seconds:.1f} s ({wheel.name})")

    app = tmp_path / "app"
    shutil.copytree(SHIPPED_SCHEMAS, app / "schemas")
    dbinit = venv / "bin" / "dbinit"
    where = run(venv / "bin" / "python", "-c", "import dbinit; print(dbinit.__file__)", cwd=app)
    assert Path(where.stdout.strip()).is_relative_to(venv)  # the installed copy, not the checkout

    res = run(dbinit, "deploy", "--pre-deploy", "--format", "json", cwd=app)
    assert '"phase": "pre-deploy"' in res.stdout
    assert not (app / "app.db").exists()
    res = run(dbinit, "deploy", "--format", "json", cwd=app)
    assert '"status": "applied"' in res.stdout
    assert {"users", "portfolio_snapshots"} <= tables(app / "app.db")
    assert sorted(p.name for p in app.iterdir()) == ["app.db", "schemas"]
