"""Enum values added and used in the same run (issue 15 §3/§4): `ALTER TYPE … ADD
VALUE` is committed first, on its own, because no transaction may use a value it
added; what fails after that commit says the values were applied and kept, the
history row says so too, and the next run converges."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import psycopg
import pytest

from tests.conftest import write_schema
from tests.postgres.helpers import dbname_of, execute, run_json, scalar, url_of

CURRENT = """
CREATE TYPE level AS ENUM ('low', 'high');
CREATE TABLE alerts (id integer PRIMARY KEY, level level NOT NULL DEFAULT 'low');
INSERT INTO alerts VALUES (1, 'low'), (2, 'high');
"""
ADDED = """ALTER TYPE "public"."level" ADD VALUE 'mid' AFTER 'low'"""


@pytest.fixture
def db(pg_url: str, pg_db: str) -> str:
    return url_of(pg_url, dbname_of(pg_db))


def _run(cli: Any, db: str, schemas: Path, *args: str) -> tuple[int, dict[str, Any]]:
    code, doc, _ = run_json(cli, db, schemas, *args)
    return code, doc


def _history(db: str) -> list[tuple[str, list[str]]]:
    with psycopg.connect(db, autocommit=True) as conn:
        rows = conn.execute(
            "SELECT outcome, statements FROM _dbinit_history ORDER BY id"
        ).fetchall()
    return [(outcome, json.loads(statements)) for outcome, statements in rows]


def _labels(db: str) -> list[str]:
    return list(scalar(db, "SELECT enum_range(NULL::level)::text[]"))


def test_value_used_as_default_is_committed_first_then_one_history_row(
    cli: Any, db: str, tmp_path: Path
) -> None:
    execute(db, CURRENT)
    schemas = write_schema(
        tmp_path / "s",
        {
            "001.sql": "CREATE TYPE level AS ENUM ('low', 'mid', 'high');\n"
            "CREATE TABLE alerts (id integer PRIMARY KEY, level level NOT NULL DEFAULT 'mid');\n"
        },
    )
    code, doc = _run(cli, db, schemas, "init")
    assert code == 0, doc
    assert doc["applied"][0] == ADDED, doc["applied"]
    [(outcome, statements)] = _history(db)
    assert (outcome, statements) == ("applied", doc["applied"])
    assert _run(cli, db, schemas, "check")[0] == 0


def test_precheck_naming_a_new_value_runs_after_it_and_says_it_was_kept(
    cli: Any, db: str, tmp_path: Path
) -> None:
    execute(db, CURRENT)
    schemas = write_schema(
        tmp_path / "s",
        {
            "001.sql": "CREATE TYPE level AS ENUM ('low', 'mid', 'high');\n"
            "CREATE TABLE alerts (id integer PRIMARY KEY, level level NOT NULL DEFAULT 'low',\n"
            "    CONSTRAINT alerts_level CHECK (level IN ('mid', 'high')));\n"
        },
    )
    code, doc = _run(cli, db, schemas, "init")
    assert code == 3, doc
    message = doc["error"]["message"]
    assert "1 row(s) violate it" in message and f"applied before it and kept: {ADDED}" in message
    assert doc["applied"] == [ADDED]
    assert _labels(db) == ["low", "mid", "high"]
    assert scalar(db, "SELECT count(*) FROM pg_constraint WHERE conname = 'alerts_level'") == 0
    assert _history(db) == [("failed", [ADDED])]
    execute(db, "UPDATE alerts SET level = 'mid' WHERE level = 'low'")
    code, doc = _run(cli, db, schemas, "init")
    assert code == 0, doc
    assert ADDED not in doc["applied"]
    assert _run(cli, db, schemas, "check")[0] == 0


def test_transaction_failing_after_the_early_commit_says_what_was_kept(
    cli: Any, db: str, tmp_path: Path
) -> None:
    execute(db, CURRENT)
    schemas = write_schema(
        tmp_path / "s",
        {
            "001.sql": "CREATE TYPE level AS ENUM ('low', 'mid', 'high');\n"
            "CREATE TABLE alerts (id integer PRIMARY KEY, level level NOT NULL DEFAULT 'mid');\n"
        },
    )
    with psycopg.connect(db) as other:  # the ALTER TABLE waits on it, past the limit
        other.execute("LOCK TABLE alerts IN ACCESS SHARE MODE")
        code, doc = _run(cli, db, schemas, "init", "--lock-timeout", "0.2", "--timeout", "2")
        other.rollback()
    assert code == 75, doc
    assert doc["error"]["error_code"] == "DB_002"
    assert f"applied before it and kept: {ADDED}" in doc["error"]["message"]
    assert doc["applied"] == [ADDED]
    assert _labels(db) == ["low", "mid", "high"]
    assert _history(db) == [("failed", [ADDED])]
    code, doc = _run(cli, db, schemas, "init")
    assert code == 0, doc
    assert _run(cli, db, schemas, "check")[0] == 0
