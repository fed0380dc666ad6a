"""Files of the wrong dialect: the error says which dialect they look like and what to set."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from dbinit.dialect import hint_for_postgresql, hint_for_sqlite, looks_like
from tests.conftest import write_schema


@pytest.mark.parametrize(
    "text",
    [
        "CREATE TABLE t (id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT);",
        "CREATE TABLE t (k TEXT PRIMARY KEY, v) WITHOUT ROWID;",
        "CREATE TABLE t (id INTEGER PRIMARY KEY, n INT) STRICT;",
        "PRAGMA foreign_keys = ON;\nCREATE TABLE t (id INTEGER);",
        "CREATE VIRTUAL TABLE docs USING fts5(body);",
    ],
)
def test_sqlite_markers(text: str) -> None:
    assert looks_like(text) == "sqlite"
    assert "postgresql://" not in hint_for_sqlite(text)
    assert "look like SQLite" in hint_for_postgresql(text)


@pytest.mark.parametrize(
    "text",
    [
        "CREATE TABLE t (id bigserial PRIMARY KEY);",
        "CREATE TABLE t (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY);",
        "CREATE TABLE t (id int, d date DEFAULT '2024-01-01'::date);",
        "CREATE EXTENSION IF NOT EXISTS citext;",
        "CREATE FUNCTION f() RETURNS int LANGUAGE sql AS $$ SELECT 1 $$;",
        "CREATE TABLE t (at timestamptz, meta jsonb);",
    ],
)
def test_postgresql_markers(text: str) -> None:
    assert looks_like(text) == "postgresql"
    assert "look like PostgreSQL" in hint_for_sqlite(text)
    assert hint_for_postgresql(text) == ""


@pytest.mark.parametrize(
    "text",
    [
        "CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT NOT NULL);",
        # Markers in comments and strings do not count.
        "-- was AUTOINCREMENT once\nCREATE TABLE t (note TEXT DEFAULT 'jsonb::x serial');",
    ],
)
def test_plain_sql_looks_like_neither(text: str) -> None:
    assert looks_like(text) is None
    assert hint_for_sqlite(text) == hint_for_postgresql(text) == ""


def test_postgresql_files_linted_as_sqlite_say_what_to_set(cli: Any, tmp_path: Path) -> None:
    write_schema(
        tmp_path / "schemas",
        {
            "a.sql": "CREATE TABLE users (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, "
            "meta jsonb, seen timestamptz);"
        },
    )
    res = cli("validate", "--schema-only", "--format", "json")
    assert res.exit_code == 65, res.stdout
    message = res.json()["error"]["message"]
    assert message.startswith("schemas/a.sql:1: ")
    assert "look like PostgreSQL" in message and "DBINIT_DATABASE_URL" in message
    assert "postgresql://" in message and "--dev-url" in message


def test_a_postgresql_statement_sqlite_refuses_outright_says_it_too(
    cli: Any, tmp_path: Path
) -> None:
    write_schema(
        tmp_path / "schemas",
        {"a.sql": "CREATE EXTENSION citext;\nCREATE TABLE users (id serial PRIMARY KEY);"},
    )
    res = cli("validate", "--schema-only", "--format", "json")
    assert res.exit_code == 65, res.stdout
    assert "look like PostgreSQL" in res.json()["error"]["message"]


def test_a_plain_sqlite_error_gets_no_dialect_hint(cli: Any, tmp_path: Path) -> None:
    write_schema(tmp_path / "schemas", {"a.sql": "CREATE TABLE t (id INTEGER PRIMARY KEY,);"})
    res = cli("validate", "--schema-only", "--format", "json")
    assert res.exit_code == 65, res.stdout
    assert "look like" not in res.json()["error"]["message"]
