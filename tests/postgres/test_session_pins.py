"""Every dbinit session pins the settings that change how SQL text is read or
written, and its own time limits, whatever the role or database sets
(postgres.md, "Schema files are declarations, not programs"): a database with
`standard_conforming_strings = off`, a role with a 50 ms `statement_timeout`, a
read-only default, an odd `search_path` or `client_encoding` still gets exactly
the declared schema and the normal exit codes.

Each test makes its own role (LOGIN CREATEDB) and a database it owns, with
random names, and drops both (and any database the role left) at the end.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import psycopg
import pytest
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from dbinit.postgres.connect import BoundedConnection, connect

from .helpers import dbinit

# The settings a plain session of the tests uses, whatever the role or database sets.
PLAIN = (
    "-c standard_conforming_strings=on -c default_transaction_read_only=off"
    " -c statement_timeout=0 -c lock_timeout=0 -c search_path=public"
    " -c idle_in_transaction_session_timeout=0 -c client_encoding=UTF8"
)

SCHEMA = r"""
CREATE TABLE people (
    id integer PRIMARY KEY,
    email text CHECK (email ~ '^\S+@\S+\.\w+$'),
    path text DEFAULT 'C:\new'
);
CREATE TABLE victim (id integer PRIMARY KEY);
COMMENT ON TABLE people IS E'\\''; DROP TABLE victim; --';
COMMENT ON COLUMN people.email IS 'λ → ü';
"""

Setup = Callable[..., tuple[str, str]]


@pytest.fixture
def role_db(pg_url: str, pg_admin: psycopg.Connection[Any]) -> Iterator[Setup]:
    """`make(role_settings, database_settings)` makes a LOGIN CREATEDB role with
    `ALTER ROLE … SET` of each setting, and a database it owns with `ALTER
    DATABASE … SET` of each; returns (dbinit's URL, a plain test conninfo)."""
    made: list[tuple[str, str]] = []
    base = conninfo_to_dict(pg_url)
    host, port = base.get("host") or "127.0.0.1", base.get("port") or 5432

    def make(
        role_settings: dict[str, str] | None = None, db_settings: dict[str, str] | None = None
    ) -> tuple[str, str]:
        token = secrets.token_hex(4)
        role, db = f"dbinit_pin_role_{token}", f"dbinit_pin_db_{token}"
        made.append((role, db))
        pg_admin.execute(sql.SQL("CREATE ROLE {} LOGIN CREATEDB").format(sql.Identifier(role)))
        pg_admin.execute(
            sql.SQL("CREATE DATABASE {} OWNER {}").format(sql.Identifier(db), sql.Identifier(role))
        )
        for name, value in (db_settings or {}).items():
            pg_admin.execute(
                sql.SQL("ALTER DATABASE {} SET {} = {}").format(
                    sql.Identifier(db), sql.Identifier(name), sql.Literal(value)
                )
            )
        for name, value in (role_settings or {}).items():
            pg_admin.execute(
                sql.SQL("ALTER ROLE {} SET {} = {}").format(
                    sql.Identifier(role), sql.Identifier(name), sql.Literal(value)
                )
            )
        url = f"postgresql://{role}@{host}:{port}/{db}"
        plain = make_conninfo(pg_url, user=role, dbname=db, options=PLAIN)
        return url, plain

    yield make
    for role, db in made:
        pg_admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = %s", (role,)
        )
        owned = pg_admin.execute(
            "SELECT d.datname FROM pg_database d JOIN pg_roles r ON r.oid = d.datdba"
            " WHERE r.rolname = %s",
            (role,),
        ).fetchall()
        for (name,) in {(db,), *owned}:
            pg_admin.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )
        pg_admin.execute(sql.SQL("DROP ROLE IF EXISTS {}").format(sql.Identifier(role)))


def schema_dir(tmp_path: Path, text: str = SCHEMA) -> Path:
    folder = tmp_path / "schemas"
    folder.mkdir(exist_ok=True)
    (folder / "001_people.sql").write_text(text, encoding="utf-8")
    return folder


def run(url: str, *args: str) -> tuple[int, dict[str, Any], str]:
    done = dbinit(url, *args)
    try:
        report = json.loads(done.stdout)
    except ValueError:
        report = {}
    return done.exit_code, report, done.stderr


def assert_declared_schema(plain: str) -> None:
    """The target holds exactly what the file declares (read with standard settings)."""
    with psycopg.connect(plain, autocommit=True) as conn:
        check = conn.execute(
            "SELECT pg_get_constraintdef(oid) FROM pg_constraint"
            " WHERE conrelid = 'people'::regclass AND contype = 'c'"
        ).fetchone()
        assert check is not None
        assert check[0] == "CHECK ((email ~ '^\\S+@\\S+\\.\\w+$'::text))"
        # A real address satisfies the CHECK; the default is the 6 characters declared
        # (a backslash, not a newline).
        conn.execute("INSERT INTO people (id, email) VALUES (1, 'ann@example.com')")
        row = conn.execute("SELECT path, length(path) FROM people WHERE id = 1").fetchone()
        assert row == ("C:\\new", 6)
        comments = conn.execute(
            "SELECT obj_description('people'::regclass, 'pg_class'),"
            " col_description('people'::regclass, 2)"
        ).fetchone()
        assert comments == ("\\'; DROP TABLE victim; --", "λ → ü")
        conn.execute("DELETE FROM people")


def populate_victim(plain: str) -> None:
    with psycopg.connect(plain, autocommit=True) as conn:
        conn.execute("CREATE TABLE victim (id integer PRIMARY KEY)")
        conn.execute("INSERT INTO victim SELECT generate_series(1, 3)")


def victim_rows(plain: str) -> int:
    with psycopg.connect(plain, autocommit=True) as conn:
        row = conn.execute("SELECT count(*) FROM victim").fetchone()
    return int(row[0]) if row else -1


def test_standard_conforming_strings_off_changes_no_literal_and_drops_nothing(
    role_db: Setup, tmp_path: Path
) -> None:
    url, plain = role_db(
        role_settings={"backslash_quote": "on", "escape_string_warning": "off"},
        db_settings={"standard_conforming_strings": "off"},
    )
    populate_victim(plain)
    folder = schema_dir(tmp_path)
    code, report, err = run(url, "init", "--schema-dir", str(folder))
    assert code == 0, (report, err)
    assert victim_rows(plain) == 3
    assert_declared_schema(plain)
    for command in ("init", "validate"):
        code, report, err = run(url, command, "--schema-dir", str(folder))
        assert code == 0, (command, report, err)
    assert victim_rows(plain) == 3


def test_a_dev_database_with_standard_conforming_strings_off_changes_no_literal(
    role_db: Setup, tmp_path: Path
) -> None:
    url, plain = role_db()
    dev, _ = role_db(db_settings={"standard_conforming_strings": "off"})
    populate_victim(plain)
    folder = schema_dir(tmp_path)
    code, report, err = run(url, "init", "--schema-dir", str(folder), "--dev-url", dev)
    assert code == 0, (report, err)
    assert_declared_schema(plain)
    code, report, err = run(url, "validate", "--schema-dir", str(folder), "--dev-url", dev)
    assert code == 0, (report, err)
    assert victim_rows(plain) == 3


# Every role setting that changed a result before sessions were pinned; each alone
# made `init` fail (70, 69 or 75) or store something else than the file says.
ODD_ROLE = {
    "statement_timeout": "50ms",
    "lock_timeout": "1ms",
    "idle_in_transaction_session_timeout": "1ms",
    "default_transaction_read_only": "on",
    "client_encoding": "LATIN1",
    "search_path": "nowhere, pg_temp",
    "transform_null_equals": "on",
}


def test_role_settings_change_no_result(role_db: Setup, tmp_path: Path) -> None:
    url, plain = role_db(role_settings=ODD_ROLE)
    populate_victim(plain)
    folder = schema_dir(tmp_path, SCHEMA + "\nCREATE TABLE n (x int CHECK (x = NULL OR x > 0));\n")
    code, report, err = run(url, "init", "--schema-dir", str(folder))
    assert code == 0, (report, err)
    assert_declared_schema(plain)
    with psycopg.connect(plain, autocommit=True) as conn:
        check = conn.execute(
            "SELECT pg_get_constraintdef(oid) FROM pg_constraint"
            " WHERE conrelid = 'n'::regclass AND contype = 'c'"
        ).fetchone()
    assert check == ("CHECK (((x = NULL::integer) OR (x > 0)))",)
    for command in ("init", "validate"):
        code, report, err = run(url, command, "--schema-dir", str(folder))
        assert code == 0, (command, report, err)
    assert victim_rows(plain) == 3


# --- connect() itself: what every session sees -------------------------------------------

ODD = {
    "standard_conforming_strings": "off",
    "client_encoding": "LATIN1",
    "search_path": "nowhere",
    "statement_timeout": "50ms",
    "lock_timeout": "1ms",
    "idle_in_transaction_session_timeout": "1ms",
    "default_transaction_read_only": "on",
    "transform_null_equals": "on",
}
PINNED = {
    "standard_conforming_strings": "on",
    "client_encoding": "UTF8",
    "statement_timeout": "0",
    "lock_timeout": "0",
    "idle_in_transaction_session_timeout": "0",
    "default_transaction_read_only": "off",
    "transform_null_equals": "off",
}


def shown(conn: psycopg.Connection[Any], names: list[str]) -> dict[str, str]:
    out = {}
    for name in names:
        row = conn.execute(sql.SQL("SHOW {}").format(sql.Identifier(name))).fetchone()
        out[name] = str(row[0]) if row else ""
    return out


def test_connect_pins_every_setting_over_role_and_database_defaults(role_db: Setup) -> None:
    url, _ = role_db(role_settings=ODD, db_settings={"standard_conforming_strings": "off"})
    with connect(url, schema="app") as conn:
        assert shown(conn, list(PINNED)) == PINNED
        assert shown(conn, ["search_path"]) == {"search_path": "app, public"}
        assert conn.info.encoding == "utf-8"


def test_a_users_options_are_kept_but_never_override_a_pin(
    role_db: Setup, monkeypatch: pytest.MonkeyPatch
) -> None:
    url, _ = role_db()
    given = "-c work_mem=7MB -c standard_conforming_strings=off -c statement_timeout=5"
    with connect(f"{url}?options={quote(given, safe='')}&client_encoding=LATIN1") as conn:
        assert shown(conn, ["work_mem", "standard_conforming_strings", "statement_timeout"]) == {
            "work_mem": "7MB",
            "standard_conforming_strings": "on",
            "statement_timeout": "0",
        }
        assert conn.info.encoding == "utf-8"
    # PGOPTIONS, libpq's environment default for `options`, is kept as well.
    monkeypatch.setenv("PGOPTIONS", "-c work_mem=9MB -c standard_conforming_strings=off")
    with connect(url) as conn:
        assert shown(conn, ["work_mem", "standard_conforming_strings"]) == {
            "work_mem": "9MB",
            "standard_conforming_strings": "on",
        }


def test_a_schema_name_with_spaces_and_quotes_is_pinned_exactly(role_db: Setup) -> None:
    url, _ = role_db()
    with connect(url, schema='my "odd" schema\\x') as conn:
        conn.execute('CREATE SCHEMA "my ""odd"" schema\\x"')
        row = conn.execute("SELECT current_schemas(false)").fetchone()
        assert row == (['my "odd" schema\\x', "public"],)


def test_a_pooler_refusing_startup_options_gets_the_same_pins_by_set(
    role_db: Setup, monkeypatch: pytest.MonkeyPatch
) -> None:
    """PgBouncer refuses `options` naming settings it does not track; the pins
    are then SET on a plain connection, with the same result."""
    url, _ = role_db(role_settings=ODD, db_settings={"standard_conforming_strings": "off"})
    real = BoundedConnection.connect
    refused: list[str] = []

    def pooler(conninfo: str = "", **kwargs: Any) -> psycopg.Connection[Any]:
        if "statement_timeout" in str(kwargs.get("options") or ""):
            refused.append(str(kwargs["options"]))
            raise psycopg.OperationalError(
                "connection failed: FATAL:  unsupported startup parameter in options: "
                "statement_timeout"
            )
        return real(conninfo, **kwargs)

    # Every dbinit session is a BoundedConnection (its waits have a client-side deadline).
    monkeypatch.setattr(BoundedConnection, "connect", pooler)
    with connect(url, schema="app") as conn:
        assert shown(conn, list(PINNED)) == PINNED
        assert shown(conn, ["search_path"]) == {"search_path": "app, public"}
        assert conn.info.encoding == "utf-8"
    assert len(refused) == 1
