"""An application collation (`app_collations`) on a live SQLite database (issue 15 §3).

The application registers `unicase` on its connections; dbinit has only a
stand-in for it. On a healthy database that uses it:

* `validate` (quick and full integrity check) reports no integrity error, and
  still finds a NULL in a NOT NULL column or a violated foreign key in the tables that do not need
  the collation;
* `repair` rebuilds tables that do not use the collation; a step that would
  order or compare existing rows with it (rebuilding the table its index
  orders, a new index over its rows) is still refused, nothing changed.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import digest, error_of, write_schema

ENV = {"DBINIT_APP_COLLATIONS": "unicase"}

BOOKS = (
    "CREATE TABLE books (id INTEGER PRIMARY KEY, title TEXT NOT NULL COLLATE unicase);\n"
    "CREATE INDEX books_title ON books (title);\n"
)
SHELVES = (
    "CREATE TABLE shelves (id INTEGER PRIMARY KEY, name TEXT, size INTEGER CHECK (size > 0));\n"
)
LOANS = "CREATE TABLE loans (id INTEGER PRIMARY KEY, book_id INTEGER REFERENCES books (id));\n"
AUTHORS = "CREATE TABLE authors (id INTEGER PRIMARY KEY, name TEXT NOT NULL);\n"
SCHEMA = BOOKS + SHELVES + LOANS + AUTHORS


def unicase(a: str, b: str) -> int:
    """The application's collation: case-insensitive, unlike any stand-in."""
    x, y = a.casefold(), b.casefold()
    return (x > y) - (x < y)


def app_connect(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(path)
    conn.create_collation("unicase", unicase)
    return conn


def make_app_db(path: Path, extra: str = "") -> Path:
    """The database as the application built it, with its own collation."""
    conn = app_connect(path)
    conn.executescript(
        SCHEMA
        + "INSERT INTO books (title) VALUES ('b'), ('A'), ('c'), ('B'), ('a');\n"
        + "INSERT INTO shelves (name, size) VALUES ('top', 3), ('low', 5);\n"
        + "INSERT INTO loans (book_id) VALUES (1), (2);\n"
        + "INSERT INTO authors (name) VALUES ('ann');\n"
    )
    conn.commit()
    assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
    if extra:
        conn.executescript(extra)
        conn.commit()
    conn.close()
    return path


# A NULL in a NOT NULL column, as a database edited behind SQLite's back holds it.
NULL_NAME = (
    "PRAGMA writable_schema = ON;\n"
    "UPDATE sqlite_schema SET sql = replace(sql, 'NOT NULL', '') WHERE name = 'authors';\n"
    "PRAGMA writable_schema = RESET;\n"
    "INSERT INTO authors (name) VALUES (NULL);\n"
    "PRAGMA writable_schema = ON;\n"
    "UPDATE sqlite_schema SET sql = replace(sql, 'name TEXT ', 'name TEXT NOT NULL')"
    " WHERE name = 'authors';\n"
    "PRAGMA writable_schema = RESET;\n"
)


def run(cli: Any, *args: str) -> Any:
    return cli(*args, "--format", "json", "-d", "app.db", "-s", "schemas", env=ENV)


@pytest.mark.parametrize("integrity", ["quick", "full"])
def test_validate_passes_on_a_healthy_database_that_uses_the_collation(
    cli: Any, tmp_path: Path, integrity: str
) -> None:
    make_app_db(tmp_path / "app.db")
    write_schema(tmp_path / "schemas", {"001.sql": SCHEMA})
    res = run(cli, "validate", "--integrity", integrity)
    assert res.exit_code == 0, res.stdout
    doc = res.json()
    assert doc["checks"] == {"integrity": "ok", "foreign_keys": "ok"}, doc


@pytest.mark.parametrize("integrity", ["quick", "full"])
@pytest.mark.parametrize(
    ("broken", "needle"),
    [
        (NULL_NAME, "NULL value in authors.name"),
        ("PRAGMA foreign_keys = OFF; INSERT INTO loans (book_id) VALUES (99);", "loans"),
    ],
    ids=["not-null-violation", "foreign-key-violation"],
)
def test_validate_still_finds_problems_in_the_tables_it_can_check(
    cli: Any, tmp_path: Path, integrity: str, broken: str, needle: str
) -> None:
    make_app_db(tmp_path / "app.db", broken)
    write_schema(tmp_path / "schemas", {"001.sql": SCHEMA})
    res = run(cli, "validate", "--integrity", integrity)
    err = error_of(res, 1, "DB_005" if needle == "loans" else "DB_006")
    assert needle in err["message"], err


def test_repair_rebuilds_a_table_that_does_not_use_the_collation(cli: Any, tmp_path: Path) -> None:
    db = make_app_db(tmp_path / "app.db")
    write_schema(
        tmp_path / "schemas",
        {"001.sql": SCHEMA.replace("name TEXT,", "name TEXT NOT NULL,")},
    )
    res = run(cli, "repair", "--yes", "--no-backup")
    assert res.exit_code == 0, res.stdout
    assert [c["table"] for c in res.json()["changes"]] == ["shelves"]
    conn = app_connect(db)
    assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
    assert conn.execute("SELECT id, name, size FROM shelves").fetchall() == [
        (1, "top", 3),
        (2, "low", 5),
    ]
    assert [r[0] for r in conn.execute("SELECT title FROM books ORDER BY title")] == [
        "A",
        "a",
        "b",
        "B",
        "c",
    ]
    conn.close()
    assert run(cli, "check").exit_code == 0


@pytest.mark.parametrize(
    "declared",
    [
        SCHEMA.replace("title TEXT NOT NULL", "title TEXT NOT NULL DEFAULT ''"),
        SCHEMA + "CREATE INDEX books_title_id ON books (title, id);\n",
    ],
    ids=["rebuild-of-the-table-it-orders", "new-index-over-its-rows"],
)
def test_a_step_that_orders_rows_with_the_collation_is_still_refused(
    cli: Any, tmp_path: Path, declared: str
) -> None:
    db = make_app_db(tmp_path / "app.db")
    write_schema(tmp_path / "schemas", {"001.sql": declared})
    before = digest(db)
    err = error_of(run(cli, "repair", "--yes", "--no-backup"), 3, "DB_007")
    assert "unicase" in err["message"] and "books" in err["message"], err
    assert digest(db) == before
