"""What a failure while applying a plan says (issue 15 §4).

* PostgreSQL rejecting a statement dbinit generated is dbinit's bug: 70 /
  DB_010 naming the statement and the SQLSTATE, the plan's transaction rolled
  back (nothing applied, no history row); in the online phase, the report lists
  exactly what was applied before it. 69 / DB_001 stays for the connection.
* Every new or changed constraint is counted before anything runs: a `NO
  INHERIT` CHECK changed over violating rows, or a CHECK on a column the same
  plan adds, is refused (3) with nothing applied (cases `apply-check-*`,
  `apply-*-on-new-column-*`, `apply-domain-check-*`).
* Table inheritance is not managed: declared, 65 (cases `apply-inherits-*`);
  live, drift for `check` and no plan touches the tables involved, so a
  parent's dropped column never takes a child's values.
* REPLICA IDENTITY is applied and `inspect` writes it (round trip).

The failing statements are made by swapping one plan statement for another the
server rejects (`_run_sql` patched), so the tests do not depend on which real
plans still have such a bug.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from dbinit.postgres import backend
from tests.conftest import error_of, write_schema
from tests.postgres.helpers import execute, pg_db_url, scalar

__all__ = ["pg_db_url"]  # the fixture


def _history_rows(url: str) -> int:
    if not scalar(url, "SELECT to_regclass('public._dbinit_history') IS NOT NULL"):
        return 0
    return int(scalar(url, "SELECT count(*) FROM public._dbinit_history"))


def _columns(url: str, table: str) -> list[str]:
    return list(
        scalar(
            url,
            "SELECT array_agg(attname::text ORDER BY attnum) FROM pg_attribute "
            f"WHERE attrelid = 'public.{table}'::regclass AND attnum > 0 AND NOT attisdropped",
        )
    )


def _swap(monkeypatch: pytest.MonkeyPatch, marker: str, replacement: str) -> None:
    """The plan statement whose SQL holds `marker` runs `replacement` instead."""
    real = backend._run_sql

    def run(conn: Any, st: Any) -> None:
        if marker in st.sql:
            conn.execute(replacement.encode())
            return
        real(conn, st)

    monkeypatch.setattr(backend, "_run_sql", run)


def _run(cli: Any, url: str, schemas: Path, *args: str) -> Any:
    return cli(*args, "--format", "json", "-d", url, "-s", str(schemas))


def test_a_statement_the_server_rejects_in_the_transaction_is_70_and_nothing_applied(
    tmp_path: Path, pg_db_url: str, cli: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = pg_db_url
    execute(url, "CREATE TABLE t (id integer PRIMARY KEY, a text); INSERT INTO t VALUES (1, 'x')")
    schemas = write_schema(
        tmp_path / "schemas",
        {"a.sql": "CREATE TABLE t (id integer PRIMARY KEY, a text, b text, c text);\n"},
    )
    # The second statement fails: 42701 duplicate_column, as a wrong plan would.
    _swap(monkeypatch, 'ADD COLUMN "c"', 'ALTER TABLE t ADD COLUMN "b" text')
    res = _run(cli, url, schemas, "init")
    err = error_of(res, 70, "DB_010")
    assert err["error"] == "internal_error", err
    assert "42701" in err["message"] + (err["details"] or ""), err
    assert 'ADD COLUMN "c"' in err["message"], err  # the failing statement, as planned
    assert "nothing was applied" in err["message"], err
    assert res.json()["applied"] == [], res.json()
    assert _columns(url, "t") == ["id", "a"]
    assert _history_rows(url) == 0


def test_a_statement_the_server_rejects_online_is_70_listing_what_was_applied(
    tmp_path: Path, pg_db_url: str, cli: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = pg_db_url
    execute(url, "CREATE TABLE t (id integer PRIMARY KEY, a text); INSERT INTO t VALUES (1, 'x')")
    schemas = write_schema(
        tmp_path / "schemas",
        {
            "a.sql": "CREATE TABLE t (id integer PRIMARY KEY, a text, b text);\n"
            "CREATE INDEX t_a ON t (a);\n"
        },
    )
    # 42P01 undefined_table on the concurrent index build, after the commit.
    _swap(monkeypatch, "CREATE INDEX CONCURRENTLY", "CREATE INDEX CONCURRENTLY t_a ON nope (a)")
    res = _run(cli, url, schemas, "init")
    err = error_of(res, 70, "DB_010")
    assert "42P01" in err["message"] + (err["details"] or ""), err
    assert "CREATE INDEX CONCURRENTLY" in err["message"], err
    applied = res.json()["applied"]
    assert applied == ['ALTER TABLE "public"."t" ADD COLUMN "b" text'], applied
    assert 'ADD COLUMN "b"' in err["message"], err  # applied before it, and kept
    assert _columns(url, "t") == ["id", "a", "b"]
    monkeypatch.undo()
    # The next run converges.
    assert _run(cli, url, schemas, "init").exit_code == 0
    assert _run(cli, url, schemas, "check").exit_code == 0


def test_a_lost_connection_stays_69(
    tmp_path: Path, pg_db_url: str, cli: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = pg_db_url
    execute(url, "CREATE TABLE t (id integer PRIMARY KEY)")
    schemas = write_schema(
        tmp_path / "schemas", {"a.sql": "CREATE TABLE t (id integer PRIMARY KEY, b text);\n"}
    )
    # The session ends itself (57P01 admin_shutdown): the connection, not the plan.
    _swap(monkeypatch, 'ADD COLUMN "b"', "SELECT pg_terminate_backend(pg_backend_pid())")
    res = _run(cli, url, schemas, "init")
    error_of(res, 69, "DB_001")
    assert _columns(url, "t") == ["id"]


def test_a_parent_column_drop_never_takes_the_childs_values(
    tmp_path: Path, pg_db_url: str, cli: Any
) -> None:
    url = pg_db_url
    execute(
        url,
        "CREATE TABLE parent (id integer, name text, extra text);"
        "CREATE TABLE child (note text) INHERITS (parent);"
        "INSERT INTO child VALUES (1, 'a', 'kept', 'n');",
    )
    # The files cannot say INHERITS: the child declares every column itself.
    schemas = write_schema(
        tmp_path / "schemas",
        {
            "a.sql": "CREATE TABLE parent (id integer, name text);\n"
            "CREATE TABLE child (id integer, name text, extra text, note text);\n"
        },
    )
    check = _run(cli, url, schemas, "check")
    assert check.exit_code == 1, check.stdout
    assert any(
        c["kind"] == "table_changed" and c["name"] == "child" and "inherit" in c["detail"]
        for c in check.json()["changes"]
    ), check.json()["changes"]
    res = _run(cli, url, schemas, "repair", "--prune", "--allow-data-loss", "--yes")
    err = error_of(res, 3, "DB_007")
    assert "inherit" in err["message"], err
    assert scalar(url, "SELECT extra FROM child") == "kept"
    assert _columns(url, "parent") == ["id", "name", "extra"]


def test_replica_identity_round_trips_through_inspect(
    tmp_path: Path, pg_db_url: str, cli: Any
) -> None:
    url = pg_db_url
    execute(
        url,
        "CREATE TABLE a (id integer PRIMARY KEY, b text); ALTER TABLE a REPLICA IDENTITY FULL;"
        "CREATE TABLE c (id integer NOT NULL, k text NOT NULL);"
        "CREATE UNIQUE INDEX c_k ON c (k); ALTER TABLE c REPLICA IDENTITY USING INDEX c_k;",
    )
    out = tmp_path / "inspected"
    res = cli("inspect", "-d", url, "--output-dir", str(out))
    assert res.exit_code == 0, res.stdout + res.stderr
    assert "REPLICA IDENTITY FULL" in "".join(p.read_text() for p in out.rglob("*.sql"))
    assert _run(cli, url, out, "check").exit_code == 0
