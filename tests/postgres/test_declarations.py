"""Schema files are declarations, not programs (issue 14 §1, §4, §5).

Each probe is a schema file that tried to run something on the server. It goes
through the real CLI (`check`, `validate --schema-only`) against a real database,
and the server's own catalogs say that nothing happened: no role, no database
setting, no file written by `COPY … TO PROGRAM`, no session terminated by a
function the file defined.
"""

from __future__ import annotations

import secrets
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from psycopg import sql

from dbinit.errors import SchemaError, TimeLimit
from dbinit.postgres.introspect import introspect
from dbinit.postgres.scratch import build_desired
from tests.conftest import write_schema
from tests.postgres.conftest import drop_database, url_for
from tests.postgres.helpers import dbinit, url_of
from tests.postgres.test_desired import EVERY_KIND

COMMANDS = (("check",), ("validate", "--schema-only"))


@pytest.fixture
def marker(pg_url: str) -> Iterator[tuple[str, psycopg.Connection[Any]]]:
    """A session with a unique application_name: a probe that evaluates a query
    of the files terminates it."""
    name = f"dbinit_marker_{secrets.token_hex(4)}"
    conn = psycopg.connect(pg_url, autocommit=True, application_name=name)
    try:
        yield name, conn
    finally:
        conn.close()


def _kill(name: str, volatility: str = "VOLATILE") -> str:
    return (
        f"CREATE FUNCTION boom() RETURNS int {volatility} LANGUAGE plpgsql AS $$\n"
        "BEGIN\n"
        "  PERFORM pg_terminate_backend(pid) FROM pg_stat_activity\n"
        f"    WHERE application_name = '{name}';\n"
        "  RETURN 1;\n"
        "END $$;\n"
    )


def _alive(conn: psycopg.Connection[Any]) -> bool:
    try:
        conn.execute("SELECT 1").fetchone()
        return True
    except psycopg.Error:
        return False


def _write(tmp_path: Path, text: str) -> Path:
    folder = tmp_path / "schemas"
    folder.mkdir(exist_ok=True)
    (folder / "001.sql").write_text(text, encoding="utf-8", newline="")
    return folder


def _run(url: str, folder: Path, *command: str) -> Any:
    return dbinit(url, *command, "--schema-dir", str(folder))


def _scalar(url: str, query: str, params: tuple[Any, ...] = ()) -> Any:
    with psycopg.connect(url, autocommit=True) as conn:
        row = conn.execute(query, params).fetchone()
    return row[0] if row else None


@pytest.mark.parametrize("command", COMMANDS)
def test_a_comment_ended_by_a_carriage_return_cannot_smuggle_statements(
    pg_url: str, pg_db: str, tmp_path: Path, command: tuple[str, ...]
) -> None:
    role = f"dbinit_probe_{secrets.token_hex(4)}"
    folder = _write(tmp_path, f"CREATE TABLE t (a int) --\r; COMMIT; CREATE ROLE {role} LOGIN;\n")
    try:
        res = _run(url_of(pg_url, _dbname(pg_db)), folder, *command)
        assert res.exit_code == 65, res.stdout + res.stderr
        assert "001.sql:1" in res.stdout and "transaction control" in res.stdout
        assert _scalar(pg_url, "SELECT count(*) FROM pg_roles WHERE rolname = %s", (role,)) == 0
    finally:
        with psycopg.connect(pg_url, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP ROLE IF EXISTS {}").format(sql.Identifier(role)))


@pytest.mark.parametrize("command", COMMANDS)
def test_copy_to_program_never_runs(
    pg_url: str, pg_db: str, tmp_path: Path, command: tuple[str, ...]
) -> None:
    # Where the server's own user may write: the probe must fail for want of
    # being run, not for want of a permission.
    mark = Path("/tmp") / f"dbinit_probe_{secrets.token_hex(6)}"
    folder = _write(
        tmp_path,
        f"CREATE TABLE t (a int) --\r; COPY (SELECT 1) TO PROGRAM 'touch {mark}';\n",
    )
    try:
        res = _run(url_of(pg_url, _dbname(pg_db)), folder, *command)
        assert res.exit_code == 65, res.stdout + res.stderr
        assert "001.sql:1" in res.stdout
        assert not mark.exists()
    finally:
        mark.unlink(missing_ok=True)


@pytest.mark.parametrize("command", COMMANDS)
def test_the_word_begin_does_not_swallow_the_next_statements(
    pg_url: str, pg_db: str, tmp_path: Path, command: tuple[str, ...]
) -> None:
    db = _dbname(pg_db)
    folder = _write(
        tmp_path,
        "CREATE FUNCTION f() RETURNS int LANGUAGE sql\n"
        "  SET search_path = begin AS 'SELECT 1';\n"
        "COMMIT;\n"
        f'ALTER DATABASE "{db}" SET default_transaction_read_only = on;\n',
    )
    res = _run(url_of(pg_url, db), folder, *command)
    assert res.exit_code == 65, res.stdout + res.stderr
    assert "001.sql:3" in res.stdout
    settings = _scalar(
        pg_url,
        "SELECT count(*) FROM pg_db_role_setting s JOIN pg_database d ON d.oid = s.setdatabase"
        " WHERE d.datname = %s",
        (db,),
    )
    assert settings == 0


@pytest.mark.parametrize(
    ("tail", "line"),
    [
        ("CREATE TABLE r AS SELECT boom();\n", 7),
        ("CREATE TABLE t (a int);\nALTER TABLE t ADD COLUMN b int DEFAULT boom();\n", 8),
        (
            "CREATE TABLE p (a int) PARTITION BY RANGE (a);\n"
            "CREATE TABLE p1 PARTITION OF p FOR VALUES FROM (0) TO (boom());\n",
            8,
        ),
        ("DO $$ BEGIN PERFORM boom(); END $$;\n", 7),
        ("SELECT boom();\n", 7),
    ],
)
def test_statements_that_run_a_query_are_refused_before_anything_runs(
    pg_url: str,
    pg_db: str,
    tmp_path: Path,
    marker: tuple[str, psycopg.Connection[Any]],
    tail: str,
    line: int,
) -> None:
    name, conn = marker
    folder = _write(tmp_path, _kill(name, "STABLE") + tail)
    for command in COMMANDS:
        res = _run(url_of(pg_url, _dbname(pg_db)), folder, *command)
        assert res.exit_code == 65, res.stdout + res.stderr
        assert f"001.sql:{line}" in res.stdout, res.stdout
        assert _alive(conn), f"{command}: the file's function ran"


@pytest.mark.parametrize("command", COMMANDS)
def test_a_materialized_view_is_built_with_no_data(
    pg_url: str,
    pg_db: str,
    tmp_path: Path,
    marker: tuple[str, psycopg.Connection[Any]],
    command: tuple[str, ...],
) -> None:
    name, conn = marker
    folder = _write(
        tmp_path, _kill(name) + "CREATE MATERIALIZED VIEW r AS SELECT boom() AS x WITH DATA;\n"
    )
    res = _run(url_of(pg_url, _dbname(pg_db)), folder, *command)
    assert res.exit_code in (0, 1), res.stdout + res.stderr  # 1: check sees the drift
    assert _alive(conn), "the materialized view's query ran"


def test_a_dev_database_builds_materialized_views_with_no_data(
    pg_url: str, pg_db: str, marker: tuple[str, psycopg.Connection[Any]]
) -> None:
    name, conn = marker
    files = [("f.sql", _kill(name) + "CREATE MATERIALIZED VIEW r AS SELECT boom() AS x;")]
    d = build_desired(pg_url, files, dev_url=pg_db)
    assert "r" in d.schema.materialized_views
    assert _alive(conn)


def test_unlogged_tables_and_pg_dump_preamble_are_accepted(pg_url: str, tmp_path: Path) -> None:
    text = (
        "\\restrict 3kzF9aQ\n"
        "SET statement_timeout = 0;\n"
        "SET client_encoding = 'UTF8';\n"
        "SELECT pg_catalog.set_config('search_path', '', false);\n"
        "SET default_tablespace = '';\n"
        "CREATE UNLOGGED TABLE public.cache (k text PRIMARY KEY);\n"
        "\\unrestrict 3kzF9aQ\n"
    )
    d = build_desired(pg_url, [("dump.sql", text)])
    assert "cache" in d.schema.tables
    with pytest.raises(SchemaError, match=r"^dump\.sql:2: psql meta-command not allowed.*\\!"):
        build_desired(pg_url, [("dump.sql", "CREATE TABLE t (a int);\n\\! touch x\n")])


def test_a_two_statement_string_cannot_run_through_the_statement_helper(
    pg_conn: psycopg.Connection[Any],
) -> None:
    from dbinit.postgres.statements import execute

    pg_conn.execute("CREATE TABLE t (a int)")
    with pytest.raises(psycopg.errors.SyntaxError, match="multiple commands"):
        execute(pg_conn, "INSERT INTO t VALUES (1); INSERT INTO t VALUES (2)")
    assert pg_conn.execute("SELECT count(*) FROM t").fetchone() == (0,)


def test_thousands_of_tables_fit_the_default_lock_table(pg_url: str) -> None:
    """§4: 1,500 tables (each with a sequence, two indexes and a TOAST table)
    exhaust a one-transaction build with max_locks_per_transaction = 64."""
    text = "".join(
        f"CREATE TABLE t{i} (id serial PRIMARY KEY, v text UNIQUE);\n" for i in range(1500)
    )
    d = build_desired(pg_url, [("001.sql", text)])
    assert len(d.schema.tables) == 1500
    assert d.schema.tables["t1499"].loc is not None and d.schema.tables["t1499"].loc.line == 1500


@pytest.fixture
def latin1(pg_url: str, pg_admin: psycopg.Connection[Any]) -> Iterator[str]:
    name = f"dbinit_test_{secrets.token_hex(6)}"
    pg_admin.execute(
        sql.SQL(
            "CREATE DATABASE {} ENCODING 'LATIN1' TEMPLATE template0 LC_COLLATE 'C' LC_CTYPE 'C'"
        ).format(sql.Identifier(name))
    )
    try:
        yield name
    finally:
        drop_database(pg_admin, name)


def test_a_character_the_encoding_cannot_hold_is_a_file_error(
    pg_url: str, latin1: str, tmp_path: Path
) -> None:
    folder = _write(tmp_path, "CREATE TABLE t (\n  a text,\n  b text DEFAULT '日本'\n);\n")
    for command in COMMANDS:
        res = _run(url_of(pg_url, latin1), folder, *command)
        assert res.exit_code == 65, res.stdout + res.stderr
        assert "001.sql:3" in res.stdout and "LATIN1" in res.stdout
    # The same through a dev database, whatever its client encoding.
    with pytest.raises(SchemaError, match=r"^f\.sql:3: .*LATIN1"):
        build_desired(
            pg_url,
            [("f.sql", "CREATE TABLE t (\n  a text,\n  b text DEFAULT '日本'\n);\n")],
            dev_url=url_for(pg_url, latin1, options="-c client_encoding=UTF8"),
        )


def _dbname(url: str) -> str:
    from psycopg.conninfo import conninfo_to_dict

    return str(conninfo_to_dict(url)["dbname"])


def test_a_statement_reaching_the_time_limit_is_time_limit_not_a_file_error(
    pg_url: str, pg_db: str, pg_conn: psycopg.Connection[Any]
) -> None:
    """The dev database's `public.held` is locked by another session: the file's
    view waits for it until the time limit (75 naming --timeout, not 65)."""
    pg_conn.execute("CREATE TABLE public.held (a int)")
    with psycopg.connect(pg_db) as holder:
        holder.execute("LOCK TABLE public.held IN ACCESS EXCLUSIVE MODE")
        with pytest.raises(TimeLimit, match="--timeout") as info:
            build_desired(
                pg_url,
                [("f.sql", "CREATE TABLE t (a int);\nCREATE VIEW v AS SELECT * FROM public.held;")],
                schema="app",
                dev_url=pg_db,
                deadline=time.monotonic() + 3,
            )
        holder.rollback()
    assert info.value.exit_code == 75


@pytest.mark.skipif(shutil.which("pg_dump") is None, reason="no pg_dump")
def test_pg_dump_schema_only_output_is_a_schema_file_unchanged(
    pg_url: str, pg_db: str, pg_conn: psycopg.Connection[Any]
) -> None:
    pg_conn.execute(EVERY_KIND.encode())
    dump = subprocess.run(
        ["pg_dump", "--schema-only", "--no-owner", "--no-privileges", "--dbname", pg_db],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    ).stdout
    d = build_desired(pg_url, [("dump.sql", dump)])
    assert d.schema == introspect(pg_conn, "public")
    pg_conn.execute(
        "DO $$ DECLARE t text; BEGIN SELECT relname INTO t FROM pg_class"
        " WHERE relnamespace = 'public'::regnamespace AND relkind = 'r' LIMIT 1;"
        " EXECUTE format('GRANT SELECT ON %I TO PUBLIC', t); END $$"
    )
    pg_conn.execute("ALTER DEFAULT PRIVILEGES GRANT SELECT ON TABLES TO PUBLIC")
    owned = subprocess.run(
        ["pg_dump", "--schema-only", "--dbname", pg_db],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    ).stdout
    # owners and grants are not managed: accepted and left out (never refused)
    assert "OWNER TO" in owned
    assert build_desired(pg_url, [("dump.sql", owned)]).schema == d.schema


@pytest.mark.parametrize("dev", [False, True])
def test_the_fall_back_resends_exactly_the_same_statements(
    pg_url: str, pg_db: str, monkeypatch: pytest.MonkeyPatch, dev: bool
) -> None:
    """A failing pipeline is re-run one statement at a time: the same texts, in the
    same order, never joined or split differently."""
    from dbinit.postgres import scratch
    from dbinit.postgres.sqlsplit import split

    text = "CREATE TABLE a (x int) --\r;\nCREATE TABLE b (y int);\nCREATE TABLE c (z nope);\n"
    sent: list[str] = []
    real = scratch.execute

    def spy(conn: psycopg.Connection[Any], statement: str, params: Any = None) -> Any:
        sent.append(statement)
        return real(conn, statement, params)

    monkeypatch.setattr(scratch, "execute", spy)
    with pytest.raises(SchemaError, match=r"^f\.sql:3: type \"nope\" does not exist"):
        build_desired(pg_url, [("f.sql", text)], dev_url=pg_db if dev else None)
    texts = [st.sql for st in split("f.sql", text)]
    assert sent == texts + texts


def test_sqlite_files_against_postgresql_say_which_dialect_they_look_like(
    cli: Any, pg_url: str, tmp_path: Path
) -> None:
    """SQLite files linted for PostgreSQL failed with a bare `syntax error at or near
    "AUTOINCREMENT"`: the error says they look like SQLite and what to set."""
    write_schema(
        tmp_path / "schemas",
        {
            "001.sql": "CREATE TABLE users (\n  id INTEGER PRIMARY KEY AUTOINCREMENT,\n  e TEXT\n);\n"
        },
    )
    result = cli("validate", "--schema-only", "--format", "json", "--database", pg_url)
    assert result.exit_code == 65, result.stdout
    message = result.json()["error"]["message"]
    assert message.startswith('schemas/001.sql:2: syntax error at or near "AUTOINCREMENT"')
    assert "look like SQLite" in message and "sqlite:///" in message
