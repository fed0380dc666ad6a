"""Rename hints on PostgreSQL (docs/schema-files.md, "Rename hints"): `-- dbinit: renamed-from=OLD` on a
column's line or directly above a CREATE TABLE renames in place (rows kept),
with the table's constraints, indexes, foreign keys and triggers following.
Hints are read from the files (no server needed); renames are diffed, planned
and APPLIED on the real server, convergence checked by diffing again and
through pg_catalog."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from psycopg.conninfo import conninfo_to_dict

from dbinit.changes import Kind, Safety
from dbinit.errors import SchemaError
from dbinit.postgres.scratch import parse_files
from dbinit.postgres.sqlsplit import split
from tests.conftest import Result, write_schema
from tests.postgres.helpers import catalog, url_of
from tests.postgres.test_diff_plan import REPAIR, Db, kinds, only


@pytest.fixture
def db(pg_db: str) -> Iterator[Db]:
    with psycopg.connect(pg_db, autocommit=True) as conn:
        conn.execute("SET search_path = public")
        yield Db(pg_db, conn)


# ---------------------------------------------------------------- hints in the files


def test_table_hint_is_read_from_the_comment_line_directly_above() -> None:
    text = (
        "-- dbinit: renamed-from=users\n"
        "CREATE TABLE members (id int);\n"
        '-- dbinit: renamed-from="Old Name"\n'
        "-- another comment line\n"
        "CREATE TABLE b (id int);\n"
        "-- dbinit: renamed-from=far\n"
        "\n"
        "CREATE TABLE c (id int);\n"
        "CREATE TABLE d (id int);\n"
    )
    sts = split("f.sql", text)
    assert [s.renamed_from for s in sts] == ["users", "Old Name", None, None]


def test_column_hints_are_read_from_the_line_of_the_definition() -> None:
    text = (
        "CREATE TABLE t (\n"
        "  id int PRIMARY KEY,\n"
        "  points int -- dbinit: renamed-from=score\n"
        '  , "Nick" text NOT NULL,  -- dbinit: renamed-from=NickName\n'
        "  CONSTRAINT c CHECK (points > 0), -- dbinit: renamed-from=ignored\n"
        "  note text DEFAULT 'x -- dbinit: renamed-from=not_a_comment'\n"
        ");\n"
    )
    (st,) = split("f.sql", text)
    assert st.column_hints == (("points", "score", 3), ("Nick", "nickname", 4))


def test_two_renames_from_one_old_name_are_a_schema_error_with_file_and_line() -> None:
    files = [
        ("a.sql", "-- dbinit: renamed-from=users\nCREATE TABLE members (id int);\n"),
        ("b.sql", "\n-- dbinit: renamed-from=users\nCREATE TABLE people (id int);\n"),
    ]
    with pytest.raises(SchemaError, match=r"b\.sql:3: .*people.*members.*users"):
        parse_files(files, "public")
    cols = (
        "CREATE TABLE t (\n a int, -- dbinit: renamed-from=x\n b int -- dbinit: renamed-from=x\n);"
    )
    with pytest.raises(SchemaError, match=r"c\.sql:3: "):
        parse_files([("c.sql", cols)], "public")


# ---------------------------------------------------------------- diff, plan, apply

LIVE = """
CREATE TABLE users (id int PRIMARY KEY, email text NOT NULL UNIQUE, score int CHECK (score >= 0));
CREATE INDEX users_score_idx ON users (score);
CREATE TABLE posts (id int PRIMARY KEY, user_id int REFERENCES users (id));
INSERT INTO users VALUES (1, 'a@x.io', 10), (2, 'b@x.io', 20), (3, 'c@x.io', 30);
INSERT INTO posts VALUES (1, 1), (2, 3);
"""
RENAMED = """
-- dbinit: renamed-from=users
CREATE TABLE members (id int PRIMARY KEY, email text NOT NULL UNIQUE,
  points int CHECK (points >= 0) -- dbinit: renamed-from=score
);
CREATE INDEX members_points_idx ON members (points);
CREATE TABLE posts (id int PRIMARY KEY, user_id int REFERENCES members (id));
"""


def test_a_hinted_table_and_column_rename_keeps_rows_and_takes_its_objects_along(
    db: Db, pg_url: str, pg_admin: Any
) -> None:
    db.run(LIVE)
    changes, plan, _ = db.plan(RENAMED, REPAIR)
    assert sorted(kinds(changes)) == ["column_renamed", "table_renamed"]
    t = only(changes, Kind.TABLE_RENAMED)
    assert (t.before, t.after, t.safety) == ("users", "members", Safety.REBUILD)
    assert "lock" in {h.type for h in t.hazards}
    c = only(changes, Kind.COLUMN_RENAMED)
    assert (c.table, c.before, c.after) == ("members", "score", "points")
    sql = [s.sql for s in plan.statements]
    assert 'ALTER TABLE "public"."users" RENAME TO "members"' in sql
    assert 'ALTER TABLE "public"."members" RENAME COLUMN "score" TO "points"' in sql
    assert all(not s.online for s in plan.statements)
    oid = db.one("SELECT 'users'::regclass::oid")
    db.converge(RENAMED, REPAIR)
    # the same table, rows and values kept
    assert db.one("SELECT 'members'::regclass::oid") == oid
    assert db.one("SELECT to_regclass('users')") is None
    assert db.all("SELECT id, email, points FROM members ORDER BY id") == [
        (1, "a@x.io", 10),
        (2, "b@x.io", 20),
        (3, "c@x.io", 30),
    ]
    assert db.all("SELECT id, user_id FROM posts ORDER BY id") == [(1, 1), (2, 3)]
    # constraints and indexes follow, under the names the files give them
    assert db.all(
        "SELECT conname FROM pg_constraint WHERE conrelid = 'members'::regclass ORDER BY 1"
    ) == [("members_email_key",), ("members_pkey",), ("members_points_check",)]
    assert (
        db.one(
            "SELECT indrelid::regclass::text FROM pg_index i"
            " WHERE indexrelid = 'members_points_idx'::regclass"
        )
        == "members"
    )
    assert (
        db.one(
            "SELECT confrelid::regclass::text FROM pg_constraint"
            " WHERE conname = 'posts_user_id_fkey'"
        )
        == "members"
    )
    # idempotent: nothing more to do; pg_catalog equals a database built from the files
    assert [c for c in db.plan(RENAMED, REPAIR)[0] if not c.kind.value.startswith("unm")] == []
    from tests.postgres.conftest import create_database, drop_database
    from tests.postgres.helpers import execute

    name = create_database(pg_admin, prefix="dbinit_twin_")
    try:
        twin_url = url_of(pg_url, name)
        execute(twin_url, RENAMED)
        assert catalog(db.url) == catalog(twin_url)
    finally:
        drop_database(pg_admin, name)


def test_init_refuses_a_rename_and_repair_applies_it(db: Db) -> None:
    db.run(LIVE)
    _, plan, _ = db.plan(RENAMED)
    assert {c.kind for c in plan.blocked} == {Kind.TABLE_RENAMED, Kind.COLUMN_RENAMED}
    assert db.one("SELECT count(*) FROM users") == 3


def test_a_hint_whose_old_name_is_gone_is_no_change(db: Db) -> None:
    db.run(RENAMED.replace("-- dbinit: renamed-from=users", "").replace("-- dbinit:", "--"))
    changes, _, _ = db.plan(RENAMED, REPAIR)
    assert kinds(changes) == []


def test_a_hint_naming_nothing_live_is_a_missing_table(db: Db) -> None:
    changes, _, _ = db.plan(RENAMED, REPAIR)
    assert sorted(kinds(changes)) == ["missing_index", "missing_table", "missing_table"]


def test_a_column_hint_when_both_names_exist_live_compares_by_name(db: Db) -> None:
    db.run("CREATE TABLE t (id int, score int, points int)")
    sql = "CREATE TABLE t (id int, points int -- dbinit: renamed-from=score\n)"
    changes, _, _ = db.plan(sql, REPAIR)
    assert kinds(changes) == ["extra_column"]


# ---------------------------------------------------------------- the CLI


def _run(
    cli: Any, db: Db, pg_url: str, tmp_path: Path, files: dict[str, str], *args: str
) -> Result:
    schemas = write_schema(tmp_path / "schemas", files)
    url = url_of(pg_url, conninfo_to_dict(db.url)["dbname"] or "")
    res: Result = cli(*args, "--format", "json", "-d", url, "-s", str(schemas))
    return res


def test_cli_repair_renames_and_a_second_run_applies_nothing(
    cli: Any, db: Db, pg_url: str, tmp_path: Path
) -> None:
    db.run(LIVE)
    files = {"001.sql": RENAMED}
    first = _run(cli, db, pg_url, tmp_path, files, "repair", "--yes")
    assert first.exit_code == 0, first.stdout + first.stderr
    assert db.one("SELECT sum(points) FROM members") == 60
    second = _run(cli, db, pg_url, tmp_path, files, "repair", "--yes")
    assert second.exit_code == 0, second.stdout + second.stderr
    assert second.json()["applied"] == []


def test_cli_two_renames_from_one_name_is_65_and_nothing_written(
    cli: Any, db: Db, pg_url: str, tmp_path: Path
) -> None:
    db.run(LIVE)
    before = catalog(db.url)
    files = {
        "001.sql": "-- dbinit: renamed-from=users\nCREATE TABLE a (id int);\n"
        "-- dbinit: renamed-from=users\nCREATE TABLE b (id int);\n"
    }
    for args in (("check",), ("repair", "--yes")):
        res = _run(cli, db, pg_url, tmp_path, files, *args)
        assert res.exit_code == 65, res.stdout + res.stderr
        assert "001.sql:4" in res.json()["error"]["message"]
    assert catalog(db.url) == before
