"""The gate tells the truth (issue 15 §1): a declared difference is never "in sync".

"Extra" is a fact about an object (it exists live and no file declares it), not
a safety class. On PostgreSQL narrowing a declared column (`bigint` → declared
`integer`, `varchar(100)` → declared `varchar(20)`) is `destructive`, and it is
drift all the same: `check` 1, `validate --allow-extra` 1, never listed under
"Extra objects". An undeclared live column stays an extra: `check` 0,
`validate` 1, `validate --allow-extra` 0.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.conftest import write_schema
from tests.postgres.helpers import dbname_of, execute, url_of


@pytest.fixture
def db(pg_url: str, pg_db: str) -> str:
    """A fresh database's postgresql:// URL (the CLI's form)."""
    return url_of(pg_url, dbname_of(pg_db))


LIVE_WIDE = (
    "CREATE TABLE users (id integer PRIMARY KEY, score bigint, name varchar(100));\n"
    "INSERT INTO users VALUES (1, 5, 'ann'), (2, 7, 'bob');\n"
)
NARROW = [
    pytest.param(
        "CREATE TABLE users (id integer PRIMARY KEY, score integer, name varchar(100));",
        "score",
        id="bigint-to-integer",
    ),
    pytest.param(
        "CREATE TABLE users (id integer PRIMARY KEY, score bigint, name varchar(20));",
        "name",
        id="varchar100-to-varchar20",
    ),
]


def _run(cli: Any, url: str, schemas: Path, *args: str) -> tuple[int, dict[str, Any]]:
    res = cli(*args, "--format", "json", "-d", url, "-s", str(schemas))
    doc: dict[str, Any] = res.json()
    assert doc["exit_code"] == res.exit_code, res.stdout
    return res.exit_code, doc


def _text(cli: Any, url: str, schemas: Path, *args: str) -> tuple[int, str]:
    res = cli(*args, "--format", "text", "-d", url, "-s", str(schemas))
    return res.exit_code, res.stdout


def _managed(doc: dict[str, Any]) -> list[dict[str, Any]]:
    return [c for c in doc["changes"] if not str(c["kind"]).startswith("unmanaged_")]


@pytest.mark.parametrize(("declared", "column"), NARROW)
def test_narrowing_a_declared_column_is_drift(
    cli: Any, tmp_path: Path, db: str, declared: str, column: str
) -> None:
    execute(db, LIVE_WIDE)
    schemas = write_schema(tmp_path / "schemas", {"001.sql": declared})

    code, doc = _run(cli, db, schemas, "check")
    assert code == 1, doc
    assert doc["status"] == "drift"
    [change] = _managed(doc)
    assert change["kind"] == "column_changed"
    assert change["column"] == column
    assert change["safety"] == "destructive"  # narrowing loses values on PostgreSQL
    assert change["extra"] is False

    code, text = _text(cli, db, schemas, "check")
    assert code == 1
    assert "Extra objects" not in text, text
    assert "In sync" not in text, text
    assert "Drift" in text, text

    for flags in ((), ("--allow-extra",)):
        code, doc = _run(cli, db, schemas, "validate", *flags)
        assert code == 1, (flags, doc)
        assert doc["status"] == "drift"

    # init cannot apply it (it is not safe) and says so, never "in sync"
    code, doc = _run(cli, db, schemas, "init")
    assert code == 3, doc


def test_an_undeclared_live_column_is_an_extra(cli: Any, tmp_path: Path, db: str) -> None:
    execute(db, LIVE_WIDE)
    schemas = write_schema(
        tmp_path / "schemas",
        {"001.sql": "CREATE TABLE users (id integer PRIMARY KEY, score bigint);"},
    )
    code, doc = _run(cli, db, schemas, "check")
    assert code == 0, doc
    [change] = _managed(doc)
    assert change["kind"] == "extra_column"
    assert change["extra"] is True
    code, text = _text(cli, db, schemas, "check")
    assert code == 0
    assert "Extra objects (not declared): 1" in text, text
    assert "In sync" in text, text

    code, doc = _run(cli, db, schemas, "validate")
    assert code == 1, doc
    code, doc = _run(cli, db, schemas, "validate", "--allow-extra")
    assert code == 0, doc


def test_a_declared_narrowing_next_to_an_extra(cli: Any, tmp_path: Path, db: str) -> None:
    """Both at once: the extra is listed as one, the narrowing as drift."""
    execute(db, LIVE_WIDE)
    schemas = write_schema(
        tmp_path / "schemas",
        {"001.sql": "CREATE TABLE users (id integer PRIMARY KEY, score integer);"},
    )
    code, doc = _run(cli, db, schemas, "check")
    assert code == 1, doc
    extra = {c["kind"]: c["extra"] for c in _managed(doc)}
    assert extra == {"column_changed": False, "extra_column": True}
    code, doc = _run(cli, db, schemas, "validate", "--allow-extra")
    assert code == 1, doc
