"""The right exit code for the rarer bad inputs (issue 14 §5), PostgreSQL side.

* a column type change with no cast (`integer` → `timestamptz`): refused before
  anything is applied, 3 / DB_005 naming the column; the live type unchanged
  (read from `pg_attribute`), nothing else of the plan applied;
* a history row whose JSON nests deeper than a parser recurses: a tampered row
  (65 / DB_005), never a traceback (70).
"""

from __future__ import annotations

from pathlib import Path

import psycopg
import pytest

from tests.conftest import error_of as _error
from tests.conftest import write_schema
from tests.postgres.helpers import dbinit, execute, pg_db_url, scalar

__all__ = ["pg_db_url"]  # the fixture


def _column_type(url: str, table: str, column: str) -> str:
    return str(
        scalar(
            url,
            "SELECT format_type(a.atttypid, a.atttypmod) FROM pg_attribute a "
            f"WHERE a.attrelid = 'public.{table}'::regclass AND a.attname = '{column}'",
        )
    )


def _history_rows(url: str) -> int:
    if not scalar(url, "SELECT to_regclass('public._dbinit_history') IS NOT NULL"):
        return 0
    return int(scalar(url, "SELECT count(*) FROM public._dbinit_history"))


def test_type_change_with_no_cast_is_refused_naming_the_column(
    tmp_path: Path, pg_db_url: str
) -> None:
    url = pg_db_url
    execute(
        url,
        "CREATE TABLE t (id integer PRIMARY KEY, a integer DEFAULT 0, b text);"
        "INSERT INTO t VALUES (1, 5, 'x'), (2, NULL, 'y');",
    )
    write_schema(
        tmp_path / "schemas",
        {
            "a.sql": "CREATE TABLE t (id integer PRIMARY KEY, a timestamptz, b varchar);\n"
            "CREATE TABLE other (id integer PRIMARY KEY);\n"
        },
    )
    rows_before = _history_rows(url)
    err = _error(dbinit(url, "repair", "--yes"), 3, "DB_005")
    assert "t.a" in err["message"], err
    assert "integer" in err["message"] and "timestamp with time zone" in err["message"], err
    assert "nothing was applied" in err["message"], err
    assert _column_type(url, "t", "a") == "integer"
    assert _column_type(url, "t", "b") == "text"  # the rest of the plan did not run
    assert scalar(url, "SELECT to_regclass('public.other')") is None
    assert scalar(url, "SELECT count(*) FROM t WHERE a = 5") == 1
    assert _history_rows(url) == rows_before


def test_type_change_with_no_cast_in_an_array_is_refused(tmp_path: Path, pg_db_url: str) -> None:
    url = pg_db_url
    execute(url, "CREATE TABLE t (id integer PRIMARY KEY, a integer[])")
    write_schema(
        tmp_path / "schemas", {"a.sql": "CREATE TABLE t (id integer PRIMARY KEY, a date[]);\n"}
    )
    err = _error(dbinit(url, "repair", "--yes"), 3, "DB_005")
    assert "t.a" in err["message"], err
    assert _column_type(url, "t", "a") == "integer[]"


def test_history_row_with_deeply_nested_json_is_a_tampered_row(
    tmp_path: Path, pg_db_url: str
) -> None:
    url = pg_db_url
    write_schema(tmp_path / "schemas", {"a.sql": "CREATE TABLE t (id integer PRIMARY KEY);\n"})
    res = dbinit(url, "init")
    assert res.exit_code == 0, (res.stdout, res.stderr)
    execute(
        url,
        "UPDATE public._dbinit_history SET statements = repeat('[', 100000) || repeat(']', 100000)",
    )
    err = _error(dbinit(url, "history"), 65, "DB_005")
    assert "_dbinit_history" in err["message"], err


@pytest.mark.parametrize(
    ("alter", "state"),
    [
        ("ALTER TABLE t ALTER COLUMN a TYPE timestamptz USING a::timestamptz", "42846"),
        ("ALTER TABLE t ALTER COLUMN a TYPE timestamptz", "42804"),
    ],
)
def test_a_no_cast_error_met_while_applying_is_a_data_error(
    pg_db_url: str, alter: str, state: str
) -> None:
    """The safety net behind the check before applying: the server's own "cannot
    cast" (42846) or "cannot be cast automatically" (42804) met by a plan's
    statement is 3 / DB_005 naming that statement, never 69."""
    from dbinit.postgres.backend import _data_error

    url = pg_db_url
    execute(url, "CREATE TABLE t (a integer)")
    with psycopg.connect(url, autocommit=True) as conn, pytest.raises(psycopg.Error) as info:
        conn.execute(alter.encode())
    assert info.value.sqlstate == state
    err = _data_error(info.value, "applying the plan", [], alter)
    assert err is not None
    assert (err.exit_code, err.error_code) == (3, "DB_005")
    assert alter in err.message and "rolled back" in err.message, err.message
