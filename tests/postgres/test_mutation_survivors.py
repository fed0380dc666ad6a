"""Mutation-testing survivors of issue 15 §5 on PostgreSQL, each killed by a test.

* A narrowing column change (`bigint` → `integer`, `varchar(100)` →
  `varchar(20)`) carries a `data_loss` hazard in the JSON report, is
  `destructive`, and nothing applies it without `--allow-data-loss`.
* The plan is recomputed under the advisory lock (`postgres/backend.py`):
  another session holds the lock, dbinit plans and waits, the other session
  changes the schema and lets go; `init` then applies the recomputed plan
  (nothing twice), and `repair` refuses because the plan is no longer the one
  confirmed (engine.py's guard).
"""

from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path
from typing import Any

import psycopg
import pytest

from dbinit.postgres.connect import advisory_key
from tests.conftest import write_schema
from tests.postgres.helpers import (
    HANG_GUARD,
    catalog,
    dbinit_argv,
    dbinit_env,
    dbname_of,
    execute,
    scalar,
    url_of,
)


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


# ------------------------------------------------- the plan is recomputed under the lock

USERS = "CREATE TABLE users (id integer PRIMARY KEY, email text);\n"
ORDERS = "CREATE TABLE orders (id integer PRIMARY KEY, total integer)"


def changed_while_waiting(
    url: str, schemas: Path, change: str, *args: str
) -> tuple[int, dict[str, Any], list[dict[str, Any]]]:
    """Run `dbinit *args` in a child while another session holds dbinit's
    advisory lock; once the child has planned and is polling for the lock,
    that session runs `change` and lets the lock go."""
    with psycopg.connect(url, autocommit=True) as holder:
        key = advisory_key(dbname_of(url), "public")
        holder.execute("SELECT pg_advisory_lock(%s)", (key,))
        proc = subprocess.Popen(
            [*dbinit_argv(url, *args), "-s", str(schemas)],
            env=dbinit_env(),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            waiting = (
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                " AND pid <> pg_backend_pid() AND query LIKE 'SELECT pg_try_advisory_lock(%%'"
            )
            give_up = time.monotonic() + HANG_GUARD  # a hang guard, not a timing assertion
            while not holder.execute(waiting).fetchone()[0]:  # type: ignore[index]
                assert proc.poll() is None, proc.communicate()
                assert time.monotonic() < give_up, "dbinit never polled for the lock"
                time.sleep(0.01)
            holder.execute(change.encode())
            holder.execute("SELECT pg_advisory_unlock(%s)", (key,))
            out, err = proc.communicate(timeout=HANG_GUARD)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.communicate()
    events = [json.loads(x) for x in err.splitlines() if x.startswith("{")]
    return proc.returncode, json.loads(out), events


def test_init_applies_the_plan_recomputed_under_the_lock(tmp_path: Path, db: str) -> None:
    execute(db, USERS + "INSERT INTO users VALUES (1, 'a@x.io');")
    schemas = write_schema(
        tmp_path / "schemas",
        {"001.sql": USERS.replace("email text", "email text, nick text") + ORDERS + ";\n"},
    )
    # planned: CREATE TABLE orders and ADD COLUMN nick; the other session creates orders
    code, doc, events = changed_while_waiting(db, schemas, ORDERS, "init")
    assert code == 0, doc
    assert doc["status"] == "applied"
    assert doc["applied"] and not any("orders" in s for s in doc["applied"]), doc
    assert any("nick" in s for s in doc["applied"]), doc
    assert "diff.recomputed" in [e["event"] for e in events]
    # one run recorded, with what it really ran
    recorded = scalar(db, "SELECT json_agg(statements) FROM _dbinit_history")
    assert [json.loads(r) for r in recorded] == [doc["applied"]]


def test_init_applies_nothing_when_the_other_session_did_it_all(tmp_path: Path, db: str) -> None:
    execute(db, USERS)
    schemas = write_schema(tmp_path / "schemas", {"001.sql": USERS + ORDERS + ";\n"})
    code, doc, _ = changed_while_waiting(db, schemas, ORDERS, "init")
    assert code == 0, doc
    assert doc["status"] == "in_sync", doc
    assert doc["applied"] == []


def test_repair_refuses_when_the_plan_changed_after_it_was_confirmed(
    tmp_path: Path, db: str
) -> None:
    execute(
        db,
        USERS.replace("id integer", "id integer, n integer")
        + "INSERT INTO users VALUES (1, 2, 'a');",
    )
    declared = USERS.replace("id integer", "id integer, n bigint")
    schemas = write_schema(tmp_path / "schemas", {"001.sql": declared + ORDERS + ";\n"})
    code, doc, _ = changed_while_waiting(db, schemas, ORDERS, "repair", "--yes")
    assert code == 3, doc
    assert doc["error"]["error_code"] == "DB_007", doc
    assert "changed while repair was starting" in doc["error"]["message"], doc
    assert doc["applied"] == []
    assert (
        scalar(
            db,
            "SELECT format_type(atttypid, atttypmod) FROM pg_attribute "
            "WHERE attrelid = 'users'::regclass AND attname = 'n'",
        )
        == "integer"
    )
