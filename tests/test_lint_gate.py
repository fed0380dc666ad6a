"""Lint before any write (issue 9 §1), `allow_extra` as a setting (§2), and
the right code for data and plan failures during apply (§5).

Every refusal proves nothing was written: the database file is byte-identical
(sha256) or was never created.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest

import dbinit
from tests.conftest import Result, digest, make_db, write_schema

DANGLING_FK = (
    "CREATE TABLE users (id INTEGER PRIMARY KEY);\n"
    "\n"
    "CREATE TABLE sessions (\n"
    "    id INTEGER PRIMARY KEY,\n"
    "    email TEXT REFERENCES accounts(email)\n"
    ");\n"
)


def error_of(res: Result, exit_code: int, error_code: str) -> dict[str, Any]:
    assert res.exit_code == exit_code, (res.stdout, res.stderr)
    doc = res.json()
    assert doc["exit_code"] == exit_code
    assert doc["applied"] == []
    err = doc["error"]
    assert err["error_code"] == error_code, err
    return err  # type: ignore[no-any-return]


def write_pyproject(folder: Path, **settings: object) -> None:
    lines = ["[project]", 'name = "host"', "", "[tool.dbinit]"]
    lines += [f"{key} = {json.dumps(value)}" for key, value in settings.items()]
    (folder / "pyproject.toml").write_text("\n".join(lines) + "\n", encoding="utf-8")


# --- 1. the lint runs before every write ----------------------------------------


@pytest.mark.parametrize("existing", [False, True])
@pytest.mark.parametrize("command", [["init"], ["repair", "--yes"], ["init", "--dry-run"]])
def test_writing_commands_refuse_lint_errors_and_write_nothing(
    cli: Any, tmp_path: Path, command: list[str], existing: bool
) -> None:
    write_schema(tmp_path / "schemas", {"001.sql": DANGLING_FK})
    db = tmp_path / "app.db"
    if existing:
        make_db(db, "CREATE TABLE users (id INTEGER PRIMARY KEY); INSERT INTO users VALUES (1);")
    before = digest(db)
    res = cli(*command, "--format", "json", "-d", str(db))
    err = error_of(res, 65, "DB_004")
    assert err["message"].startswith("schemas/001.sql:3: ")
    assert "accounts" in err["message"]
    assert digest(db) == before
    assert not (tmp_path / "app.db-journal").exists()


def test_library_call_refuses_lint_errors(tmp_path: Path) -> None:
    write_schema(tmp_path / "schemas", {"001.sql": DANGLING_FK})
    with pytest.raises(dbinit.DbInitError) as err:
        dbinit.ensure_database_ready(database=tmp_path / "app.db", schema_dir="schemas")
    assert err.value.exit_code == 65
    assert err.value.error_code == "DB_004"
    assert "schemas/001.sql:3" in err.value.message
    assert not (tmp_path / "app.db").exists()


def test_a_trigger_may_share_its_tables_name(cli: Any, tmp_path: Path) -> None:
    write_schema(
        tmp_path / "schemas",
        {
            "001.sql": (
                "CREATE TABLE images (id INTEGER PRIMARY KEY, updated_at TEXT);\n"
                "CREATE TRIGGER images AFTER UPDATE ON images BEGIN\n"
                "  UPDATE images SET updated_at = 'now' WHERE id = new.id;\n"
                "END;\n"
            )
        },
    )
    assert cli("validate", "--schema-only").exit_code == 0
    res = cli("init", "--format", "json")
    assert res.exit_code == 0, res.stdout
    conn = sqlite3.connect(tmp_path / "app.db")
    kinds = sorted(
        conn.execute("SELECT type, name FROM sqlite_schema WHERE name = 'images'").fetchall()
    )
    conn.close()
    assert kinds == [("table", "images"), ("trigger", "images")]


def test_two_tables_or_a_table_and_view_of_one_name_are_still_a_lint_error(
    cli: Any, tmp_path: Path
) -> None:
    write_schema(
        tmp_path / "schemas",
        {
            "001.sql": "CREATE TABLE t (a);\n",
            "002.sql": "CREATE TABLE t2 (a);\nCREATE VIEW IF NOT EXISTS T AS SELECT 1;\n",
        },
    )
    err = error_of(cli("init", "--format", "json"), 65, "DB_004")
    assert err["message"].startswith("schemas/002.sql:2: ")
    assert not (tmp_path / "app.db").exists()


CALIBRE = (
    "CREATE TABLE books (id INTEGER PRIMARY KEY, title TEXT, sort TEXT);\n"
    "CREATE VIEW meta AS SELECT id, title_sort(title) AS ts FROM books;\n"
    "CREATE TRIGGER books_insert AFTER INSERT ON books BEGIN\n"
    "  UPDATE books SET sort = title_sort(new.title) WHERE id = new.id;\n"
    "END;\n"
)
ANKI = (
    "CREATE TABLE notetypes (id INTEGER PRIMARY KEY, name TEXT NOT NULL COLLATE unicase);\n"
    "CREATE INDEX idx_notetypes_name ON notetypes (name);\n"
    "CREATE VIEW names AS SELECT name FROM notetypes ORDER BY name COLLATE unicase;\n"
)


@pytest.mark.parametrize(
    ("sql", "setting", "value", "name"),
    [
        (CALIBRE, "app_functions", "title_sort", "title_sort"),
        (ANKI, "app_collations", "unicase", "unicase"),
    ],
)
def test_application_functions_and_collations_are_refused_with_the_way_to_declare_them(
    cli: Any, tmp_path: Path, sql: str, setting: str, value: str, name: str
) -> None:
    write_schema(tmp_path / "schemas", {"001.sql": sql})
    env_name = f"DBINIT_{setting.upper()}"
    err = error_of(cli("validate", "--schema-only", "--format", "json"), 65, "DB_004")
    assert name in err["message"]
    assert env_name in err["message"] and setting in err["message"]
    err = error_of(cli("init", "--format", "json"), 65, "DB_004")
    assert not (tmp_path / "app.db").exists()


@pytest.mark.parametrize("source", ["env", "dotenv", "pyproject"])
@pytest.mark.parametrize(
    ("sql", "setting", "value"),
    [
        (CALIBRE, "app_functions", "sortconcat, title_sort"),
        (ANKI, "app_collations", "unicase"),
    ],
)
def test_declared_application_functions_and_collations_pass_lint(
    cli: Any, tmp_path: Path, sql: str, setting: str, value: str, source: str
) -> None:
    write_schema(tmp_path / "schemas", {"001.sql": sql})
    env = None
    if source == "env":
        env = {f"DBINIT_{setting.upper()}": value}
    elif source == "dotenv":
        (tmp_path / ".env").write_text(f"DBINIT_{setting.upper()}={value}\n", encoding="utf-8")
    else:
        write_pyproject(tmp_path, **{setting: [v.strip() for v in value.split(",")]})
    res = cli("validate", "--schema-only", "--format", "json", env=env)
    assert res.exit_code == 0, res.stdout


def test_triggers_are_linted_like_views(cli: Any, tmp_path: Path) -> None:
    """A trigger calling an undeclared function fails like a view calling it."""
    write_schema(
        tmp_path / "schemas",
        {
            "001.sql": (
                "CREATE TABLE books (id INTEGER PRIMARY KEY, title TEXT, sort TEXT);\n"
                "CREATE TRIGGER books_insert AFTER INSERT ON books BEGIN\n"
                "  UPDATE books SET sort = title_sort(new.title) WHERE id = new.id;\n"
                "END;\n"
            )
        },
    )
    err = error_of(cli("validate", "--schema-only", "--format", "json"), 65, "DB_004")
    assert err["message"].startswith("schemas/001.sql:2: ")
    assert "title_sort" in err["message"] and "DBINIT_APP_FUNCTIONS" in err["message"]
    env = {"DBINIT_APP_FUNCTIONS": "title_sort"}
    assert cli("validate", "--schema-only", env=env).exit_code == 0


def test_application_function_in_a_view_and_trigger_is_applied(cli: Any, tmp_path: Path) -> None:
    write_schema(tmp_path / "schemas", {"001.sql": CALIBRE})
    env = {"DBINIT_APP_FUNCTIONS": "title_sort"}
    res = cli("init", "--format", "json", env=env)
    assert res.exit_code == 0, res.stdout
    assert cli("validate", "--format", "json", env=env).exit_code == 0


def test_application_collation_on_new_tables_is_applied(cli: Any, tmp_path: Path) -> None:
    write_schema(tmp_path / "schemas", {"001.sql": ANKI})
    env = {"DBINIT_APP_COLLATIONS": "unicase"}
    res = cli("init", "--format", "json", env=env)
    assert res.exit_code == 0, res.stdout
    conn = sqlite3.connect(tmp_path / "app.db")
    names = {r[0] for r in conn.execute("SELECT name FROM sqlite_schema")}
    conn.close()
    assert names == {"notetypes", "idx_notetypes_name", "names", "_dbinit_history", "_dbinit_state"}


def test_application_collation_over_existing_rows_is_refused_unchanged(
    cli: Any, tmp_path: Path
) -> None:
    """dbinit has only a stand-in for the application's collation: building an
    index with it over existing rows would order them wrongly for the app."""
    db = make_db(
        tmp_path / "app.db",
        "CREATE TABLE notetypes (id INTEGER PRIMARY KEY, name TEXT NOT NULL COLLATE nocase);"
        "INSERT INTO notetypes (name) VALUES ('b'), ('a'), ('C');",
    )
    conn = sqlite3.connect(db)
    conn.execute("PRAGMA writable_schema = ON")
    conn.execute(
        "UPDATE sqlite_schema SET sql = replace(sql, 'nocase', 'unicase') WHERE name = 'notetypes'"
    )
    conn.commit()
    conn.close()
    before = digest(db)
    write_schema(
        tmp_path / "schemas",
        {
            "001.sql": (
                "CREATE TABLE notetypes (id INTEGER PRIMARY KEY,"
                " name TEXT NOT NULL COLLATE unicase);\n"
                "CREATE INDEX idx_notetypes_name ON notetypes (name);\n"
            )
        },
    )
    env = {"DBINIT_APP_COLLATIONS": "unicase"}
    err = error_of(cli("init", "--format", "json", env=env), 3, "DB_007")
    assert "unicase" in err["message"] and "idx_notetypes_name" in err["message"]
    assert digest(db) == before


def test_invalid_application_function_name_is_a_config_error(cli: Any, tmp_path: Path) -> None:
    write_schema(tmp_path / "schemas", {"001.sql": "CREATE TABLE t (a);"})
    res = cli("validate", "--schema-only", "--format", "json", env={"DBINIT_APP_FUNCTIONS": "a b"})
    error_of(res, 78, "DB_008")


def test_a_folder_that_declares_nothing_is_refused_and_says_why(cli: Any, tmp_path: Path) -> None:
    write_schema(tmp_path / "schemas", {"001.sql": "-- nothing yet\n"})
    err = error_of(cli("init", "--format", "json"), 66, "DB_004")
    assert "declares no objects" in err["message"]
    assert "--schema-dir" in err["message"]
    assert not (tmp_path / "app.db").exists()


# --- 2. allow_extra is a setting ------------------------------------------------


@pytest.mark.parametrize("source", ["env", "dotenv", "pyproject", "default", "cli"])
def test_allow_extra_setting(cli: Any, tmp_path: Path, source: str) -> None:
    write_schema(tmp_path / "schemas", {"001.sql": "CREATE TABLE t (a);"})
    make_db(tmp_path / "app.db", "CREATE TABLE t (a); CREATE TABLE app_cache (k);")
    env = None
    args = ["validate", "--format", "json"]
    if source == "env":
        env = {"DBINIT_ALLOW_EXTRA": "true"}
    elif source == "dotenv":
        (tmp_path / ".env").write_text("DBINIT_ALLOW_EXTRA=1\n", encoding="utf-8")
    elif source == "pyproject":
        write_pyproject(tmp_path, allow_extra=True)
    elif source == "cli":
        args.append("--allow-extra")
    res = cli(*args, env=env)
    assert res.exit_code == (1 if source == "default" else 0), res.stdout


def test_cli_flag_wins_over_allow_extra_setting(cli: Any, tmp_path: Path) -> None:
    write_schema(tmp_path / "schemas", {"001.sql": "CREATE TABLE t (a);"})
    make_db(tmp_path / "app.db", "CREATE TABLE t (a); CREATE TABLE app_cache (k);")
    env = {"DBINIT_ALLOW_EXTRA": "true"}
    assert cli("validate", "--no-allow-extra", env=env).exit_code == 1
    write_pyproject(tmp_path, allow_extra=False)
    assert cli("validate", "--allow-extra").exit_code == 0


def test_bad_allow_extra_value_is_a_config_error(cli: Any, tmp_path: Path) -> None:
    write_schema(tmp_path / "schemas", {"001.sql": "CREATE TABLE t (a);"})
    res = cli("validate", "--format", "json", env={"DBINIT_ALLOW_EXTRA": "maybe"})
    err = error_of(res, 78, "DB_008")
    assert "DBINIT_ALLOW_EXTRA" in err["message"]


# --- 5. data errors and plan failures get their own codes -------------------------


def test_malformed_json_under_an_expression_index_is_a_data_error(cli: Any, tmp_path: Path) -> None:
    db = make_db(
        tmp_path / "app.db",
        "CREATE TABLE events (id INTEGER PRIMARY KEY, body TEXT);"
        """INSERT INTO events (body) VALUES ('{"a": 1}'), ('not json'), ('{"a": 2}');""",
    )
    before = digest(db)
    write_schema(
        tmp_path / "schemas",
        {
            "001.sql": (
                "CREATE TABLE events (id INTEGER PRIMARY KEY, body TEXT);\n"
                "CREATE INDEX events_a ON events (json_extract(body, '$.a'));\n"
            )
        },
    )
    err = error_of(cli("init", "--format", "json"), 3, "DB_005")
    assert "events" in err["message"] and "corrupt" not in err["message"].lower()
    finder = err["details"].split("find them with: ", 1)[1]
    conn = sqlite3.connect(db)
    rows = conn.execute(finder).fetchall()
    conn.close()
    assert [r[0] for r in rows] == [2]
    assert digest(db) == before


def test_malformed_json_under_a_generated_column_is_a_data_error(cli: Any, tmp_path: Path) -> None:
    db = make_db(
        tmp_path / "app.db",
        "CREATE TABLE docs (id INTEGER PRIMARY KEY, body TEXT);"
        """INSERT INTO docs (body) VALUES ('{"a": 1}'), ('{oops');""",
    )
    before = digest(db)
    write_schema(
        tmp_path / "schemas",
        {
            "001.sql": (
                "CREATE TABLE docs (id INTEGER PRIMARY KEY, body TEXT,\n"
                "  a INTEGER GENERATED ALWAYS AS (json_extract(body, '$.a')) STORED);\n"
            )
        },
    )
    err = error_of(cli("repair", "--yes", "--format", "json"), 3, "DB_005")
    assert "docs" in err["message"]
    finder = err["details"].split("find them with: ", 1)[1]
    conn = sqlite3.connect(db)
    rows = conn.execute(finder).fetchall()
    conn.close()
    assert [r[0] for r in rows] == [2]
    assert digest(db) == before


@pytest.mark.parametrize("command", [["init"], ["repair", "--yes", "--prune"]])
def test_a_live_view_named_like_a_declared_table_is_refused(
    cli: Any, tmp_path: Path, command: list[str]
) -> None:
    db = make_db(tmp_path / "app.db", "CREATE TABLE t (a); CREATE VIEW orders AS SELECT a FROM t;")
    before = digest(db)
    write_schema(
        tmp_path / "schemas",
        {"001.sql": "CREATE TABLE t (a);\nCREATE TABLE orders (id INTEGER PRIMARY KEY);\n"},
    )
    err = error_of(cli(*command, "--format", "json"), 3, "DB_007")
    assert "orders" in err["message"] and "view" in err["message"]
    assert digest(db) == before


def test_two_tables_renamed_from_one_old_name_is_a_lint_error(cli: Any, tmp_path: Path) -> None:
    db = make_db(tmp_path / "app.db", "CREATE TABLE members (id INTEGER PRIMARY KEY);")
    before = digest(db)
    write_schema(
        tmp_path / "schemas",
        {
            "001.sql": (
                "-- dbinit: renamed-from=members\n"
                "CREATE TABLE users (id INTEGER PRIMARY KEY);\n"
                "-- dbinit: renamed-from=members\n"
                "CREATE TABLE people (id INTEGER PRIMARY KEY);\n"
            )
        },
    )
    for command in (["validate", "--schema-only"], ["repair", "--yes"]):
        err = error_of(cli(*command, "--format", "json"), 65, "DB_004")
        assert err["message"].startswith("schemas/001.sql:4: ")
        assert "members" in err["message"]
    assert digest(db) == before


@pytest.mark.parametrize("name", ["_dbinit_new_orders", "_DBINIT_history", "_dbinit_backup"])
def test_names_reserved_for_dbinit_are_a_schema_error(cli: Any, tmp_path: Path, name: str) -> None:
    write_schema(
        tmp_path / "schemas",
        {"001.sql": f"CREATE TABLE orders (a);\nCREATE TABLE {name} (a);\n"},
    )
    err = error_of(cli("init", "--format", "json"), 65, "DB_004")
    assert err["message"].startswith("schemas/001.sql:2: ")
    assert "reserved" in err["message"]
    assert not (tmp_path / "app.db").exists()


def test_a_database_file_name_too_long_is_cannot_create(cli: Any, tmp_path: Path) -> None:
    write_schema(tmp_path / "schemas", {"001.sql": "CREATE TABLE t (a);"})
    name = "x" * 300 + ".db"
    err = error_of(cli("init", "--format", "json", "-d", name), 73, "DB_009")
    assert "too long" in err["message"]
    res = cli("check", "--format", "json", "-d", name)
    err = error_of(res, 69, "DB_001")
    assert "too long" in err["message"]
    assert list(tmp_path.glob("*.db*")) == []
