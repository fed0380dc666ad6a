"""Schema files: splitting, line numbers, allowed statements, rename hints."""

from __future__ import annotations

from pathlib import Path

import pytest

from dbinit.errors import SchemaError, SchemaMissing
from dbinit.sqlite.desired import build
from dbinit.sqlite.sqlfiles import load, split
from tests.conftest import write_schema


def test_trigger_bodies_keep_their_semicolons() -> None:
    text = (
        "CREATE TABLE t (a INT);\n"
        "CREATE TRIGGER tr AFTER INSERT ON t BEGIN\n"
        "  UPDATE t SET a = 1;\n"
        "  UPDATE t SET a = 2;\n"
        "END;\n"
        "CREATE INDEX ix ON t(a)"
    )
    sts = split(text, "s.sql")
    assert [(s.kind, s.name, s.loc.line) for s in sts] == [
        ("table", "t", 1),
        ("trigger", "tr", 2),
        ("index", "ix", 6),
    ]
    assert sts[1].sql.endswith("END")


def test_line_numbers_point_at_the_statement_start_with_crlf_and_bom(tmp_path: Path) -> None:
    folder = tmp_path / "s"
    folder.mkdir()
    (folder / "a.sql").write_bytes(
        b"\xef\xbb\xbf-- header\r\n\r\nCREATE TABLE ok (a);\r\n-- next\r\nCREATE TABLE bad (a,,);\r\n"
    )
    files = load(folder, "s")
    assert [s.loc.line for s in files.statements] == [3, 5]
    with pytest.raises(SchemaError) as err:
        build(files)
    assert str(err.value).startswith("s/a.sql:5: ")


def test_files_are_read_in_lexical_order_of_their_relative_paths(tmp_path: Path) -> None:
    folder = write_schema(
        tmp_path / "s",
        {
            "b.sql": "CREATE TABLE b (x);",
            "a/z.sql": "CREATE TABLE az (x);",
            "a.sql": "CREATE TABLE a (x);",
            "notes.txt": "ignored",
        },
    )
    files = load(folder, "s")
    assert files.files == ("s/a.sql", "s/a/z.sql", "s/b.sql")
    assert [s.name for s in files.statements] == ["a", "az", "b"]


@pytest.mark.parametrize(
    ("sql", "needle"),
    [
        ("INSERT INTO t VALUES (1);", "INSERT"),
        ("DROP TABLE users;", "DROP"),
        ("PRAGMA foreign_keys = ON;", "PRAGMA"),
        ("ATTACH 'x.db' AS x;", "ATTACH"),
        ("CREATE TEMP TABLE t (a);", "TEMP"),
        ("CREATE TABLE temp.t (a);", "TEMP"),
        ("CREATE TABLE other.t (a);", "main schema"),
        ("BEGIN; CREATE TABLE t (a); COMMIT;", "BEGIN"),
    ],
)
def test_forbidden_statements_name_file_and_line(tmp_path: Path, sql: str, needle: str) -> None:
    folder = write_schema(tmp_path / "s", {"x.sql": "-- first\nCREATE TABLE ok (a);\n" + sql})
    with pytest.raises(SchemaError) as err:
        load(folder, "s")
    assert str(err.value).startswith("s/x.sql:3: ")
    assert needle in str(err.value)


def test_statements_glued_on_one_line_are_each_checked(tmp_path: Path) -> None:
    folder = write_schema(tmp_path / "s", {"x.sql": "CREATE TABLE a(x); DROP TABLE users"})
    with pytest.raises(SchemaError, match=r"^s/x\.sql:1: DROP"):
        load(folder, "s")


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"CREATE TABLE a (x);\n\xff\xfe", "s/x.sql:2: not valid UTF-8"),
        (b"CREATE TABLE a (x);\nCREATE TABLE 'b", "s/x.sql:2: unterminated string"),
        (b"/* never closed\nCREATE TABLE a (x);", "s/x.sql:1: unterminated /* comment"),
        (b"CREATE TABLE a (x\x00);", "s/x.sql:1: NUL character"),
    ],
)
def test_undecodable_or_unterminated_input(tmp_path: Path, data: bytes, message: str) -> None:
    folder = tmp_path / "s"
    folder.mkdir()
    (folder / "x.sql").write_bytes(data)
    with pytest.raises(SchemaError) as err:
        load(folder, "s")
    assert str(err.value).startswith(message)


def test_missing_or_empty_schema_folder(tmp_path: Path) -> None:
    with pytest.raises(SchemaMissing):
        load(tmp_path / "nope", "nope")
    (tmp_path / "empty").mkdir()
    with pytest.raises(SchemaMissing):
        load(tmp_path / "empty", "empty")


def test_rename_hints_are_captured_for_tables_and_columns(tmp_path: Path) -> None:
    folder = write_schema(
        tmp_path / "s",
        {
            "x.sql": (
                "-- Accounts\n"
                "-- dbinit: renamed-from=members\n"
                "CREATE TABLE users (\n"
                "    id INTEGER PRIMARY KEY,\n"
                "    email TEXT, -- dbinit: renamed-from=mail\n"
                "    name TEXT\n"
                ");\n"
                "-- dbinit: renamed-from=not_this_one\n"
                "\n"
                "CREATE TABLE posts (id INTEGER PRIMARY KEY);\n"
            )
        },
    )
    desired = build(load(folder, "s"))
    users = desired.schema.tables["users"]
    assert users.renamed_from == "members"
    assert [(c.name, c.renamed_from) for c in users.columns] == [
        ("id", None),
        ("email", "mail"),
        ("name", None),
    ]
    assert desired.schema.tables["posts"].renamed_from is None
    assert str(users.loc) == "s/x.sql:3"
