"""The SQLite example app on a (simulated) Railway volume uses the database dbinit
made ready: dbinit moves its default database onto the volume, and the app must
write its rows there, not into an `app.db` in the working directory (where the
seed's `no such table: users` came from while `/health/db` said 200).

The volume is a folder in tmp_path that `os.path.ismount` reports as a mount
point (Railway mounts it in the start command; dbinit refuses an unmounted one).
The app runs in this process (its lifespan entered as uvicorn enters it, requests
through httpx's ASGI transport), from another working directory than the app's folder.
"""

from __future__ import annotations

import importlib.util
import logging
import os
import shutil
import sqlite3
import sys
from pathlib import Path
from types import ModuleType

import anyio
import httpx
import pytest
import structlog
from fastapi import FastAPI

from tests.conftest import REPO

EXAMPLE = REPO / "examples" / "sqlite-railway"


def load_app(folder: Path, name: str) -> ModuleType:
    """Import `folder/main.py` as uvicorn would, under a unique module name."""
    spec = importlib.util.spec_from_file_location(name, folder / "main.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        del sys.modules[name]
        raise
    return module


async def exercise(app: FastAPI, volume: Path) -> None:
    """Start the app (its lifespan), write a user through POST /users, read it back."""
    async with app.router.lifespan_context(app):
        assert app.state.database_url == f"sqlite:///{volume / 'app.db'}"
        assert app.state.database_path == volume / "app.db"
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://app") as client:
            created = await client.post(
                "/users", json={"email": "ada@example.com", "password": "correct horse"}
            )
            assert created.status_code == 201, created.text
            assert created.json()["email"] == "ada@example.com"
            read = await client.get("/users/ada@example.com")
            assert read.status_code == 200, read.text
            assert read.json()["id"] == created.json()["id"]
            assert (await client.get("/users/nobody@example.com")).status_code == 404
            again = await client.post("/users", json={"email": "ada@example.com", "password": "x"})
            assert again.status_code == 409, again.text
            health = await client.get("/health/db")
            assert health.status_code == 200, health.text


@pytest.fixture
def volume(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A mounted Railway volume: RAILWAY_* set, the folder a mount point."""
    vol = tmp_path / "volume"
    vol.mkdir()
    real_ismount = os.path.ismount

    def ismount(path: str | os.PathLike[str]) -> bool:
        return Path(path) == vol or real_ismount(path)

    monkeypatch.setattr(os.path, "ismount", ismount)
    monkeypatch.setenv("RAILWAY_ENVIRONMENT", "production")
    monkeypatch.setenv("RAILWAY_VOLUME_MOUNT_PATH", str(vol))
    return vol


def test_the_example_app_writes_its_rows_to_the_volume_database(
    tmp_path: Path,
    volume: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    app_folder = tmp_path / "app"
    shutil.copytree(EXAMPLE, app_folder)
    elsewhere = tmp_path / "elsewhere"  # uvicorn started from another folder
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    module = load_app(app_folder, "sqlite_railway_example_main")
    structlog.reset_defaults()
    try:
        with caplog.at_level(logging.WARNING, logger="dbinit"):
            anyio.run(exercise, module.app, volume)
    finally:
        sys.modules.pop("sqlite_railway_example_main", None)

    with sqlite3.connect(volume / "app.db") as conn:
        rows = conn.execute("SELECT email, password_hash FROM users").fetchall()
    conn.close()
    assert [r[0] for r in rows] == ["ada@example.com"]
    assert "correct horse" not in rows[0][1]  # stored hashed
    assert not (elsewhere / "app.db").exists()
    assert not (app_folder / "app.db").exists()
    assert sorted(p.name for p in elsewhere.iterdir()) == []
    # No database was set: the lifespan says which one dbinit chose, once.
    (warning,) = [
        r.getMessage() for r in caplog.records if "railway.default_database" in r.getMessage()
    ]
    assert str(volume / "app.db") in warning
