"""One table of four-phase diff cases (after sqldef's testutil), run on both
engines through the real CLI: SQLite on files in tmp_path, PostgreSQL on a fresh
database per case. For each case:

(1) applying (`init`, or `repair --yes` for rebuild cases) is idempotent: a
    second run applies nothing;
(2) live → desired reports exactly the expected change kinds and safety;
(3) desired → desired plans nothing (a database built from the desired files);
(4) row counts are kept (counted with the engine's own driver, not dbinit).

A case an engine does not support in place
simply has no row for that engine.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any, NamedTuple

import pytest

from tests.conftest import make_db, write_schema
from tests.postgres.conftest import pg_admin, pg_url  # noqa: F401 (fixtures for the PostgreSQL rows)


class Case(NamedTuple):
    name: str
    engine: str  # "sqlite" | "postgresql"
    live: str  # the live database (rows included)
    desired: str  # the schema file
    kinds: list[tuple[str, str]]  # (kind, safety), sorted
    counts: dict[str, int]  # rows per table after applying
    command: tuple[str, ...] = ("init",)
    xfail: str = ""  # a known bug in a file this test does not own (strict xfail)


LITE_USERS = "CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT NOT NULL, score INTEGER);\n"
PG_USERS = "CREATE TABLE users (id integer PRIMARY KEY, email text NOT NULL, score integer);\n"
ROWS = "INSERT INTO users (id, email, score) VALUES (1, 'a@x.io', 1), (2, 'b@x.io', 2), (3, 'c@x.io', 3);\n"
LITE_POSTS = "CREATE TABLE posts (id INTEGER PRIMARY KEY, user_id INTEGER);\n"
PG_POSTS = "CREATE TABLE posts (id integer PRIMARY KEY, user_id integer);\n"
POST_ROWS = "INSERT INTO posts (id, user_id) VALUES (1, 1), (2, 3);\n"
REPAIR = ("repair", "--yes")
U3 = {"users": 3}

CASES = [
    # -- missing table
    Case(
        "missing table",
        "sqlite",
        LITE_USERS + ROWS,
        LITE_USERS + "CREATE TABLE tags (id INTEGER PRIMARY KEY, label TEXT NOT NULL);",
        [("missing_table", "safe")],
        {"users": 3, "tags": 0},
    ),
    Case(
        "missing table",
        "postgresql",
        PG_USERS + ROWS,
        PG_USERS + "CREATE TABLE tags (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,"
        " label text NOT NULL);",
        [("missing_table", "safe")],
        {"users": 3, "tags": 0},
    ),
    # -- missing nullable column
    Case(
        "missing column nullable",
        "sqlite",
        LITE_USERS + ROWS,
        LITE_USERS.replace("score INTEGER", "score INTEGER, nick TEXT"),
        [("missing_column", "safe")],
        U3,
    ),
    Case(
        "missing column nullable",
        "postgresql",
        PG_USERS + ROWS,
        PG_USERS.replace("score integer", "score integer, nick varchar(40)"),
        [("missing_column", "safe")],
        U3,
    ),
    # -- missing column with a constant default
    Case(
        "missing column constant default",
        "sqlite",
        LITE_USERS + ROWS,
        LITE_USERS.replace("score INTEGER", "score INTEGER, active INTEGER NOT NULL DEFAULT 1"),
        [("missing_column", "safe")],
        U3,
    ),
    Case(
        "missing column constant default",
        "postgresql",
        PG_USERS + ROWS,
        PG_USERS.replace("score integer", "score integer, active boolean NOT NULL DEFAULT true"),
        [("missing_column", "safe")],
        U3,
    ),
    # -- missing index
    Case(
        "missing index",
        "sqlite",
        LITE_USERS + ROWS,
        LITE_USERS + "CREATE INDEX users_score ON users (score);",
        [("missing_index", "safe")],
        U3,
    ),
    Case(
        "missing index",
        "postgresql",
        PG_USERS + ROWS,
        PG_USERS + "CREATE INDEX users_score ON users (score) WHERE score > 0;",
        [("missing_index", "safe")],
        U3,
    ),
    # -- missing unique index
    Case(
        "missing unique index",
        "sqlite",
        LITE_USERS + ROWS,
        LITE_USERS + "CREATE UNIQUE INDEX users_email ON users (email);",
        [("missing_index", "safe")],
        U3,
    ),
    Case(
        "missing unique index",
        "postgresql",
        PG_USERS + ROWS,
        PG_USERS + "CREATE UNIQUE INDEX users_email ON users (lower(email));",
        [("missing_index", "safe")],
        U3,
    ),
    # -- missing view
    Case(
        "missing view",
        "sqlite",
        LITE_USERS + ROWS,
        LITE_USERS + "CREATE VIEW top_users AS SELECT id, email FROM users WHERE score > 1;",
        [("missing_view", "safe")],
        U3,
    ),
    Case(
        "missing view",
        "postgresql",
        PG_USERS + ROWS,
        PG_USERS + "CREATE VIEW top_users AS SELECT id, email FROM users WHERE score > 1;",
        [("missing_view", "safe")],
        U3,
    ),
    # -- added CHECK: a rebuild on SQLite, NOT VALID + VALIDATE on PostgreSQL
    Case(
        "added check",
        "sqlite",
        LITE_USERS + ROWS,
        LITE_USERS.replace("score INTEGER", "score INTEGER CHECK (score >= 0)"),
        [("table_changed", "rebuild")],
        U3,
        REPAIR,
    ),
    Case(
        "added check",
        "postgresql",
        PG_USERS + ROWS,
        PG_USERS.replace(
            "score integer", "score integer CONSTRAINT score_positive CHECK (score >= 0)"
        ),
        [("missing_constraint", "safe")],
        U3,
    ),
    # -- added foreign key
    Case(
        "added foreign key",
        "sqlite",
        LITE_USERS + LITE_POSTS + ROWS + POST_ROWS,
        LITE_USERS + LITE_POSTS.replace("user_id INTEGER", "user_id INTEGER REFERENCES users(id)"),
        [("table_changed", "rebuild")],
        {"users": 3, "posts": 2},
        REPAIR,
    ),
    Case(
        "added foreign key",
        "postgresql",
        PG_USERS + PG_POSTS + ROWS + POST_ROWS,
        PG_USERS + PG_POSTS.replace("user_id integer", "user_id integer REFERENCES users(id)"),
        [("missing_constraint", "safe")],
        {"users": 3, "posts": 2},
    ),
    # -- changed type
    Case(
        "changed type",
        "sqlite",
        LITE_USERS + ROWS,
        LITE_USERS.replace("score INTEGER", "score TEXT"),
        [("column_changed", "rebuild")],
        U3,
        REPAIR,
    ),
    Case(
        "changed type",
        "postgresql",
        PG_USERS + ROWS,
        PG_USERS.replace("score integer", "score text"),
        [("column_changed", "rebuild")],
        U3,
        REPAIR,
    ),
    # -- NOT NULL added: a rebuild on SQLite, a validated CHECK then SET NOT NULL on PostgreSQL
    Case(
        "not null added",
        "sqlite",
        LITE_USERS + ROWS,
        LITE_USERS.replace("score INTEGER", "score INTEGER NOT NULL"),
        [("column_changed", "rebuild")],
        U3,
        REPAIR,
    ),
    Case(
        "not null added",
        "postgresql",
        PG_USERS + ROWS,
        PG_USERS.replace("score integer", "score integer NOT NULL"),
        [("column_changed", "safe")],
        U3,
    ),
    # -- extra table: destructive, kept by init (nothing applied)
    Case(
        "extra table kept",
        "sqlite",
        LITE_USERS + LITE_POSTS + ROWS + POST_ROWS,
        LITE_USERS,
        [("extra_table", "destructive")],
        {"users": 3, "posts": 2},
    ),
    Case(
        "extra table kept",
        "postgresql",
        PG_USERS + PG_POSTS + ROWS + POST_ROWS,
        PG_USERS,
        [("extra_table", "destructive")],
        {"users": 3, "posts": 2},
    ),
    # -- extra column: destructive, kept by init
    Case(
        "extra column kept",
        "sqlite",
        LITE_USERS + ROWS,
        LITE_USERS.replace(", score INTEGER", ""),
        [("extra_column", "destructive")],
        U3,
    ),
    Case(
        "extra column kept",
        "postgresql",
        PG_USERS + ROWS,
        PG_USERS.replace(", score integer", ""),
        [("extra_column", "destructive")],
        U3,
    ),
    # -- renamed table (hint above CREATE TABLE)
    Case(
        "renamed table",
        "sqlite",
        LITE_USERS + ROWS,
        "-- dbinit: renamed-from=users\n" + LITE_USERS.replace("users", "members"),
        [("table_renamed", "rebuild")],
        {"members": 3},
        REPAIR,
    ),
    Case(
        "renamed table",
        "postgresql",
        PG_USERS + ROWS,
        "-- dbinit: renamed-from=users\n" + PG_USERS.replace("users", "members"),
        [("table_renamed", "rebuild")],
        {"members": 3},
        REPAIR,
    ),
    # -- renamed column (hint on the column's line)
    Case(
        "renamed column",
        "sqlite",
        LITE_USERS + ROWS,
        LITE_USERS.replace("score INTEGER", "points INTEGER -- dbinit: renamed-from=score\n"),
        [("column_renamed", "rebuild")],
        U3,
        REPAIR,
    ),
    Case(
        "renamed column",
        "postgresql",
        PG_USERS + ROWS,
        PG_USERS.replace("score integer", "points integer -- dbinit: renamed-from=score\n"),
        [("column_renamed", "rebuild")],
        U3,
        REPAIR,
    ),
]


# --- the two engines: build a database, count its rows ---------------------------------


def _sqlite_db(tmp_path: Path, name: str, sql: str) -> str:
    path = tmp_path / f"{name}.db"
    make_db(path, sql)
    return str(path)


def _sqlite_counts(target: str, tables: list[str]) -> dict[str, int]:
    conn = sqlite3.connect(target)
    try:
        return {t: conn.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0] for t in tables}
    finally:
        conn.close()


def _pg_db(request: pytest.FixtureRequest, sql: str) -> str:
    from tests.postgres.conftest import create_database, drop_database
    from tests.postgres.helpers import execute, url_of

    admin = request.getfixturevalue("pg_admin")
    base = request.getfixturevalue("pg_url")
    name = create_database(admin, prefix="dbinit_case_")
    request.addfinalizer(lambda: drop_database(admin, name))
    url = url_of(base, name)
    execute(url, sql)
    return url


def _pg_counts(target: str, tables: list[str]) -> dict[str, int]:
    import psycopg
    from psycopg import sql

    with psycopg.connect(target, autocommit=True) as conn:
        out: dict[str, int] = {}
        for t in tables:
            row = conn.execute(
                sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier("public", t))
            ).fetchone()
            out[t] = int(row[0]) if row else -1
        return out


def _make(request: pytest.FixtureRequest, tmp_path: Path, engine: str, name: str, sql: str) -> str:
    return _sqlite_db(tmp_path, name, sql) if engine == "sqlite" else _pg_db(request, sql)


def _counts(engine: str, target: str, tables: list[str]) -> dict[str, int]:
    return (_sqlite_counts if engine == "sqlite" else _pg_counts)(target, tables)


def _kinds(report: dict[str, Any]) -> list[tuple[str, str]]:
    return sorted(
        (c["kind"], c["safety"])
        for c in report["changes"]
        if not str(c["kind"]).startswith("unmanaged_")
    )


PARAMS = [
    pytest.param(
        c,
        id=f"{c.engine}-{c.name.replace(' ', '_')}",
        marks=[pytest.mark.xfail(strict=True, reason=c.xfail)] if c.xfail else [],
    )
    for c in CASES
]


@pytest.mark.parametrize("case", PARAMS)
def test_four_phases(cli: Any, request: pytest.FixtureRequest, tmp_path: Path, case: Case) -> None:
    schemas = write_schema(tmp_path / "schemas", {"001.sql": case.desired})
    live = _make(request, tmp_path, case.engine, "live", case.live)

    def dbinit(*args: str, target: str = live) -> dict[str, Any]:
        res = cli(*args, "--format", "json", "-d", target, "-s", str(schemas))
        doc: dict[str, Any] = res.json()
        assert doc["exit_code"] == res.exit_code, res.stdout
        return doc

    # (2) live → desired: exactly the expected kinds and safety
    extras_only = all(kind.startswith("extra_") for kind, _ in case.kinds)
    report = dbinit("check")
    assert report["exit_code"] == (0 if extras_only else 1), report  # extras are warnings
    for c in report["changes"]:  # "extra" is a fact about the object, not a safety class
        assert c["extra"] is str(c["kind"]).startswith("extra_"), c
    assert _kinds(report) == sorted(case.kinds), report["changes"]

    # (1) applying is idempotent: the second run applies nothing
    first = dbinit(*case.command)
    assert first["exit_code"] == 0, first
    if extras_only:
        assert first["applied"] == [], first  # extras are kept without --prune
    else:
        assert first["applied"], first
    second = dbinit(*case.command)
    assert second["exit_code"] == 0, second
    assert second["applied"] == [], second
    after = dbinit("check")
    kept = [k for k in case.kinds if k[0].startswith("extra_")]
    assert _kinds(after) == sorted(kept), after["changes"]

    # (4) rows kept, counted by the engine's own driver
    assert _counts(case.engine, live, list(case.counts)) == case.counts

    # (3) desired → desired plans nothing
    twin = _make(request, tmp_path, case.engine, "twin", case.desired)
    same = dbinit("check", target=twin)
    assert same["exit_code"] == 0, same
    assert _kinds(same) == [], same["changes"]
    if case.engine == "postgresql" and not extras_only:
        # the applied schema is the one PostgreSQL builds from the files (pg_catalog oracle)
        from tests.postgres.helpers import catalog

        assert catalog(live) == catalog(twin)


# --- the gate (issue 15 §1): a declared difference is drift, whatever its safety ------

GATE = [
    # (engine, live, declared, kind of the one change, extra)
    (
        "sqlite",
        LITE_USERS + ROWS,
        LITE_USERS.replace("score INTEGER", "score TEXT"),
        "column_changed",
        False,
    ),
    (
        "postgresql",
        PG_USERS + ROWS,
        PG_USERS.replace("score integer", "score smallint"),
        "column_changed",
        False,
    ),
    (
        "postgresql",
        PG_USERS.replace("email text", "email varchar(100)") + ROWS,
        PG_USERS.replace("email text", "email varchar(20)"),
        "column_changed",
        False,
    ),
    ("sqlite", LITE_USERS + ROWS, LITE_USERS.replace(", score INTEGER", ""), "extra_column", True),
    ("postgresql", PG_USERS + ROWS, PG_USERS.replace(", score integer", ""), "extra_column", True),
]


@pytest.mark.parametrize(
    ("engine", "live_sql", "declared", "kind", "extra"),
    [pytest.param(*g, id=f"{g[0]}-{g[3]}-{i}") for i, g in enumerate(GATE)],
)
def test_the_gate_counts_declared_differences_and_only_extras_are_warnings(
    cli: Any,
    request: pytest.FixtureRequest,
    tmp_path: Path,
    engine: str,
    live_sql: str,
    declared: str,
    kind: str,
    extra: bool,
) -> None:
    schemas = write_schema(tmp_path / "schemas", {"001.sql": declared})
    live = _make(request, tmp_path, engine, "live", live_sql)

    def code(*args: str, fmt: str = "json") -> tuple[int, str]:
        res = cli(*args, "--format", fmt, "-d", live, "-s", str(schemas))
        return res.exit_code, res.stdout

    rc, out = code("check")
    doc = json.loads(out)
    changes = [c for c in doc["changes"] if not str(c["kind"]).startswith("unmanaged_")]
    assert [(c["kind"], c["extra"]) for c in changes] == [(kind, extra)], changes
    assert rc == (0 if extra else 1), doc
    rc, text = code("check", fmt="text")
    assert ("Extra objects (not declared): 1" in text) is extra, text
    assert ("In sync" in text) is extra, text
    assert code("validate")[0] == 1
    assert code("validate", "--allow-extra")[0] == (0 if extra else 1)
