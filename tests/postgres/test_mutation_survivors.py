"""Mutation-testing survivors of issue 15 §5 on PostgreSQL, each killed by a test.

* A narrowing column change (`bigint` → `integer`, `varchar(100)` →
  `varchar(20)`) carries a `data_loss` hazard in the JSON report, is
  `destructive`, and nothing applies it without `--allow-data-loss`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.conftest import write_schema
from tests.postgres.helpers import catalog, dbname_of, execute, scalar, url_of


@pytest.fixture
def db(pg_url: str, pg_db: str) -> str:
    """A fresh database's postgresql:// URL (the CLI's form)."""
    return url_of(pg_url, dbname_of(pg_db))


def _run(cli: Any, url: str, schemas: Path, *args: str) -> tuple[int, dict[str, Any]]:
    res = cli(*args, "--format", "json", "-d", url, "-s", str(schemas))
    doc: dict[str, Any] = res.json()
    assert doc["exit_code"] == res.exit_code, res.stdout
    return res.exit_code, doc


LIVE_WIDE = (
    "CREATE TABLE users (id integer PRIMARY KEY, score bigint, name varchar(100));\n"
    "INSERT INTO users VALUES (1, 5, 'ann'), (2, 7, 'bob');\n"
)


@pytest.mark.parametrize(
    ("declared", "column", "after"),
    [
        pytest.param(
            "CREATE TABLE users (id integer PRIMARY KEY, score integer, name varchar(100));",
            "score",
            "integer",
            id="bigint-to-integer",
        ),
        pytest.param(
            "CREATE TABLE users (id integer PRIMARY KEY, score bigint, name varchar(20));",
            "name",
            "character varying(20)",
            id="varchar100-to-varchar20",
        ),
    ],
)
def test_a_narrowing_change_carries_its_data_loss_hazard(
    cli: Any, tmp_path: Path, db: str, declared: str, column: str, after: str
) -> None:
    execute(db, LIVE_WIDE)
    schemas = write_schema(tmp_path / "schemas", {"001.sql": declared})
    before = catalog(db)

    for command in (("check",), ("repair", "--dry-run")):
        code, doc = _run(cli, db, schemas, *command)
        [change] = [c for c in doc["changes"] if c["kind"] == "column_changed"]
        assert change["column"] == column, doc
        assert change["safety"] == "destructive", change
        types = [h["type"] for h in change["hazards"]]
        assert "data_loss" in types, (command, change)
        [loss] = [h for h in change["hazards"] if h["type"] == "data_loss"]
        assert f"users.{column}" in loss["detail"] and after in loss["detail"], loss

    # init never applies it; repair without --allow-data-loss refuses it: 3, nothing changed
    code, doc = _run(cli, db, schemas, "init")
    assert code == 3, doc
    assert doc["error"]["error_code"] == "DB_007", doc
    code, doc = _run(cli, db, schemas, "repair", "--yes")
    assert code == 3, doc
    assert doc["error"]["error_code"] == "DB_007", doc
    assert "--allow-data-loss" in doc["error"]["message"], doc
    assert doc["applied"] == []
    assert catalog(db) == before

    # with the flag it applies, and the values that fit are kept
    code, doc = _run(cli, db, schemas, "repair", "--yes", "--allow-data-loss")
    assert code == 0, doc
    assert (
        scalar(
            db,
            f"SELECT format_type(atttypid, atttypmod) FROM pg_attribute "
            f"WHERE attrelid = 'users'::regclass AND attname = '{column}'",
        )
        == after
    )
    assert (
        scalar(db, "SELECT string_agg(concat_ws(':', id, score, name), ',' ORDER BY id) FROM users")
        == "1:5:ann,2:7:bob"
    )
    code, doc = _run(cli, db, schemas, "check")
    assert code == 0, doc
