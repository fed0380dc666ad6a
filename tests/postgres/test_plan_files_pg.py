"""Reviewed changes on PostgreSQL: plan files and their approval by `init`/`deploy`.

The database is read back with plain queries and `pg_catalog` (never dbinit's
own introspection); "nothing applied" means unchanged rows and catalog.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest

from tests.conftest import write_schema
from tests.postgres.conftest import create_database, drop_database
from tests.postgres.helpers import url_of

BASE = """
CREATE TABLE accounts (
    id int PRIMARY KEY,
    name text NOT NULL,
    amount text
);
CREATE INDEX accounts_name ON accounts (name);
CREATE TABLE audit (id int PRIMARY KEY, note text);
"""
ROWS = """
INSERT INTO accounts VALUES (1, 'a', '10'), (2, 'b', '20'), (5, 'c', '35');
INSERT INTO audit VALUES (1, 'x'), (2, 'y');
"""
TARGETS = {
    "rename": BASE.replace(
        "name text NOT NULL,", "title text NOT NULL, -- dbinit: renamed-from=name"
    ).replace("(name)", "(title)"),
    "type": BASE.replace("amount text", "amount integer -- dbinit: using=amount::integer * 100"),
    "removed": BASE.replace("CREATE TABLE audit (id int PRIMARY KEY, note text);", ""),
}


@pytest.fixture
def db(pg_url: str, pg_admin: psycopg.Connection[Any]) -> Iterator[str]:
    name = create_database(pg_admin)
    try:
        yield url_of(pg_url, name)
    finally:
        drop_database(pg_admin, name)


def query(url: str, sql: str) -> list[tuple[Any, ...]]:
    with psycopg.connect(url, autocommit=True) as conn:
        return conn.execute(sql.encode()).fetchall()


def state(url: str) -> list[Any]:
    """Rows and catalog: what "nothing was applied" compares."""
    return [
        query(url, "SELECT * FROM accounts ORDER BY 1"),
        query(
            url,
            "SELECT c.relname, a.attname, format_type(a.atttypid, a.atttypmod) FROM pg_attribute a "
            "JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = 'public' AND a.attnum > 0 AND NOT a.attisdropped ORDER BY 1, 2",
        ),
    ]


def file_digest(path: Path) -> str:
    return "sha256:" + hashlib.sha256(path.read_bytes()).hexdigest()


def start(tmp_path: Path, cli: Any, db: str, target: str) -> None:
    write_schema(tmp_path / "schemas", {"app.sql": BASE})
    res = cli("init", "-q", "-d", db)
    assert res.exit_code == 0, res.stdout
    with psycopg.connect(db, autocommit=True) as conn:
        conn.execute(ROWS.encode())
    write_schema(tmp_path / "schemas", {"app.sql": TARGETS[target]})


@pytest.mark.parametrize("target", list(TARGETS))
def test_each_change_goes_from_refused_to_applied_with_the_approved_plan(
    tmp_path: Path, cli: Any, db: str, target: str
) -> None:
    start(tmp_path, cli, db, target)
    before = state(db)
    refused = cli("deploy", "-d", db, "--format", "json")
    if target == "removed":  # init keeps the undeclared table; validate fails on it
        assert refused.exit_code == 1, refused.stdout
    else:
        assert refused.exit_code == 3, refused.stdout
        message = refused.json()["error"]["message"]
        assert "plans/" in message and "is missing" in message and "`dbinit plan" in message
    assert state(db) == before

    args = ("--allow-data-loss",) if target == "removed" else ()
    res = cli("plan", "-d", db, *args, "--format", "json")
    assert res.exit_code == 0, res.stdout
    info = res.json()["plan_file"]
    path = tmp_path / info["file"]
    assert path.parent == tmp_path / "plans"
    text = path.read_text()
    assert f"-- base: {info['base']}" in text and f"-- target: {info['target']}" in text
    assert "-- engine: postgresql" in text
    for stmt in info["statements"] + info["online"]:
        assert stmt + ";" in text
    assert state(db) == before

    done = cli("deploy", "-d", db, "--format", "json")
    assert done.exit_code == 0, done.stdout
    assert done.json()["steps"][0]["status"] == "applied"
    assert done.json()["steps"][0]["applied"] == info["statements"] + info["online"]
    assert [r[0] for r in query(db, "SELECT id FROM accounts ORDER BY 1")] == [1, 2, 5]
    if target == "rename":
        assert query(db, "SELECT title FROM accounts ORDER BY id") == [("a",), ("b",), ("c",)]
        assert info["statements"][0] == (
            'ALTER TABLE "public"."accounts" RENAME COLUMN "name" TO "title"'
        )
    if target == "type":
        assert info["statements"] == [
            'ALTER TABLE "public"."accounts" ALTER COLUMN "amount" TYPE integer '
            "USING (amount::integer * 100)"
        ]
        assert query(db, "SELECT pg_typeof(amount)::text, amount FROM accounts WHERE id = 5") == [
            ("integer", 3500)
        ]
    if target == "removed":
        assert query(db, "SELECT to_regclass('public.audit')") == [(None,)]
    else:
        assert query(db, "SELECT count(*) FROM audit") == [(2,)]
    (recorded,) = query(db, "SELECT command FROM _dbinit_history ORDER BY id DESC LIMIT 1")
    assert recorded[0] == f"init {Path('plans') / path.name} {file_digest(path)}"
    assert cli("deploy", "-d", db).exit_code == 0


@pytest.mark.parametrize("stale", ["base", "files", "statements"])
def test_a_stale_plan_is_refused_and_nothing_is_applied(
    tmp_path: Path, cli: Any, db: str, stale: str
) -> None:
    start(tmp_path, cli, db, "type")
    assert cli("plan", "-d", db).exit_code == 0
    (path,) = (tmp_path / "plans").iterdir()
    if stale == "base":
        with psycopg.connect(db, autocommit=True) as conn:
            conn.execute("CREATE INDEX accounts_amount ON accounts (amount)")
    elif stale == "files":
        write_schema(
            tmp_path / "schemas", {"app.sql": TARGETS["type"].replace("note text", "note varchar")}
        )
    else:
        text = path.read_text().replace("* 100)", "* 1000)")
        assert text != path.read_text()
        path.write_text(text)
    before = state(db)
    res = cli("deploy", "-d", db, "--format", "json")
    assert res.exit_code == 3, res.stdout
    message = res.json()["error"]["message"]
    assert str(Path("plans") / path.name) in message and "stale" in message, message
    assert state(db) == before


def test_from_ref_needs_only_a_scratch_database(
    tmp_path: Path, cli: Any, db: str, pg_url: str, pg_admin: psycopg.Connection[Any]
) -> None:
    """The base is the files at a commit, built in the scratch space (`--dev-url`): the
    target named here does not even exist; the plan then approves the real deploy."""
    from tests.test_plan_files import git

    write_schema(tmp_path / "schemas", {"app.sql": BASE})
    git(tmp_path, "init", "-q", "-b", "main")
    git(tmp_path, "add", "schemas")
    git(tmp_path, "commit", "-q", "-m", "base")
    write_schema(tmp_path / "schemas", {"app.sql": TARGETS["type"]})
    scratch = create_database(pg_admin, "dbinit_test_dev_")
    try:
        nowhere = url_of(pg_url, "dbinit_test_no_such_database")
        res = cli(
            "plan",
            "--from-ref",
            "main",
            "-d",
            nowhere,
            "--dev-url",
            url_of(pg_url, scratch),
            "--format",
            "json",
        )
        assert res.exit_code == 0, res.stdout
    finally:
        drop_database(pg_admin, scratch)
    info = res.json()["plan_file"]
    assert "-- base-from: the schema files at git main" in (tmp_path / info["file"]).read_text()

    write_schema(tmp_path / "schemas", {"app.sql": BASE})
    assert cli("init", "-q", "-d", db).exit_code == 0
    with psycopg.connect(db, autocommit=True) as conn:
        conn.execute(ROWS.encode())
    write_schema(tmp_path / "schemas", {"app.sql": TARGETS["type"]})
    done = cli("deploy", "-d", db, "--format", "json")
    assert done.exit_code == 0, done.stdout
    assert done.json()["steps"][0]["applied"] == info["statements"] + info["online"]
    assert query(db, "SELECT amount FROM accounts WHERE id = 5") == [(3500,)]


def test_both_phases_are_in_the_file_the_online_part_marked(
    tmp_path: Path, cli: Any, db: str
) -> None:
    start(tmp_path, cli, db, "type")
    write_schema(
        tmp_path / "schemas",
        {"app.sql": TARGETS["type"] + "CREATE INDEX accounts_amount ON accounts (amount);\n"},
    )
    res = cli("plan", "-d", db, "--format", "json")
    assert res.exit_code == 0, res.stdout
    info = res.json()["plan_file"]
    assert info["online"] and all("CONCURRENTLY" in s for s in info["online"])
    text = (tmp_path / info["file"]).read_text()
    head, _, online = text.partition("\n-- online phase")
    assert all(s + ";" in head for s in info["statements"])
    assert all(s + ";" in online for s in info["online"])
    done = cli("deploy", "-d", db, "--format", "json")
    assert done.exit_code == 0, done.stdout
    assert done.json()["steps"][0]["applied"] == info["statements"] + info["online"]
    assert query(
        db,
        "SELECT i.indisvalid FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
        "WHERE c.relname = 'accounts_amount'",
    ) == [(True,)]
