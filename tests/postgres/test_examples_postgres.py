"""The PostgreSQL examples against the real server: the schema files of
`examples/postgres-railway` apply, and (once the PostgreSQL engine is
registered) its pre-deploy command and the GitHub Actions workflow's dbinit
steps pass on a fresh database."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import psycopg
import pytest

from dbinit.backend import ENGINES
from tests.postgres.test_fastapi_postgres import database_url
from tests.test_examples import EXAMPLES, dbinit_steps, railway, sh, workflow

SCHEMAS = EXAMPLES / "postgres-railway" / "schemas"
needs_engine = pytest.mark.skipif(
    "postgresql" not in ENGINES, reason="the PostgreSQL engine is not registered in this build"
)


def test_postgres_example_schemas_apply_on_the_server(pg_conn: psycopg.Connection[Any]) -> None:
    for path in sorted(SCHEMAS.glob("*.sql")):
        pg_conn.execute(path.read_text())  # type: ignore[call-overload]
    names = {
        r[0]
        for r in pg_conn.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public'"
        ).fetchall()
    }
    assert names == {"users", "portfolio_snapshots"}
    fk = pg_conn.execute(
        "SELECT pg_get_constraintdef(oid) FROM pg_constraint "
        "WHERE conrelid = 'portfolio_snapshots'::regclass AND contype = 'f'"
    ).fetchone()
    assert fk is not None and "REFERENCES users(email)" in fk[0]
    index = pg_conn.execute(
        "SELECT indexdef FROM pg_indexes WHERE indexname = 'idx_portfolio_snapshots_user_created'"
    ).fetchone()
    assert index is not None and "(user_id, created_at)" in index[0]


@needs_engine
def test_postgres_example_predeploy_runs_dbinit_init_then_validate(
    tmp_path: Path, pg_db: str
) -> None:
    pg_db = database_url(pg_db)
    app = tmp_path / "app"
    shutil.copytree(EXAMPLES / "postgres-railway", app)
    for command in railway("postgres-railway")["preDeployCommand"]:
        done = sh(command, app, DATABASE_URL=pg_db)
        assert done.returncode == 0, done.stderr
    again = sh("dbinit check --format json", app, DATABASE_URL=pg_db)
    assert again.returncode == 0, again.stderr
    assert json.loads(again.stdout)["status"] == "in_sync"


@needs_engine
def test_workflow_dbinit_steps_pass_on_the_server(tmp_path: Path, pg_db: str) -> None:
    pg_db = database_url(pg_db)
    doc = workflow()
    shutil.copytree(SCHEMAS, tmp_path / "schemas")
    env = {k: str(v) for k, v in doc["jobs"]["schema"]["env"].items()}
    env["DATABASE_URL"] = pg_db  # this server instead of the job's service container
    for command in dbinit_steps(doc):
        done = sh(command, tmp_path, **env)
        assert done.returncode == 0, (command, done.stderr)
    assert json.loads(done.stdout)["status"] == "in_sync"
