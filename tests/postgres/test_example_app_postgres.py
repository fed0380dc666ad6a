"""The PostgreSQL example app writes its rows to the database dbinit made ready
(`app.state.database_url`), from another working directory than its folder."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path
from typing import Any

import anyio
import httpx
import psycopg
import pytest
from fastapi import FastAPI

from dbinit.backend import ENGINES
from tests.postgres.test_fastapi_postgres import database_url
from tests.test_example_app_volume import load_app
from tests.test_examples import EXAMPLES

pytestmark = pytest.mark.skipif(
    "postgresql" not in ENGINES, reason="the PostgreSQL engine is not registered in this build"
)


async def exercise(app: FastAPI, url: str) -> None:
    async with app.router.lifespan_context(app):
        assert app.state.database_url == url
        assert app.state.database_path is None
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://app") as client:
            created = await client.post(
                "/users", json={"email": "ada@example.com", "password": "correct horse"}
            )
            assert created.status_code == 201, created.text
            read = await client.get("/users/ada@example.com")
            assert read.status_code == 200, read.text
            assert read.json()["id"] == created.json()["id"]
            again = await client.post("/users", json={"email": "ada@example.com", "password": "x"})
            assert again.status_code == 409, again.text
            assert (await client.get("/health/db")).status_code == 200


def test_the_postgres_example_app_writes_to_the_database_dbinit_made_ready(
    tmp_path: Path, pg_db: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = database_url(pg_db)
    app_folder = tmp_path / "app"
    shutil.copytree(EXAMPLES / "postgres-railway", app_folder)
    monkeypatch.chdir(tmp_path)  # not the app's folder
    monkeypatch.setenv("DATABASE_URL", url)
    module = load_app(app_folder, "postgres_railway_example_main")
    try:
        anyio.run(exercise, module.app, url)
    finally:
        sys.modules.pop("postgres_railway_example_main", None)
    with psycopg.connect(pg_db) as conn:
        rows: list[Any] = conn.execute("SELECT email FROM users").fetchall()
    assert rows == [("ada@example.com",)]
