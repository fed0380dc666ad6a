"""The remembered desired state on PostgreSQL (postgres.md "The desired state is
remembered"): after `init`, a read-only run with the same files builds no
scratch space, so a runtime role without CREATEDB gets its verdict, and the
readiness route answers 200 as a least-privilege role.

Oracles are the server's: a role without CREATEDB cannot build a scratch
database (so a run that succeeds as that role built none), and a *foreign*
model planted under the database's key shows in the verdict exactly when the
stored model is used.
"""

from __future__ import annotations

import hashlib
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict

import dbinit
from dbinit.postgres import state
from tests.conftest import child_env, write_schema
from tests.fastapi_server import Server
from tests.postgres.conftest import create_database, drop_database, url_for
from tests.postgres.helpers import dbinit as run_dbinit
from tests.postgres.helpers import url_of

FILES = {
    "001_users.sql": "CREATE TABLE users (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,"
    " email text NOT NULL UNIQUE);\n",
    "002_notes.sql": "CREATE TABLE notes (id bigint PRIMARY KEY, user_id bigint REFERENCES users,"
    " body text CHECK (body <> ''));\n",
}
# Other files: `users` has a `name` too. Their model, used for our files, is drift.
OTHER = {**FILES, "001_users.sql": FILES["001_users.sql"].replace("email", "name text, email")}


@pytest.fixture
def two_dbs(pg_url: str, pg_admin: psycopg.Connection[Any]) -> Iterator[tuple[str, str]]:
    names = [create_database(pg_admin), create_database(pg_admin)]
    try:
        yield url_of(pg_url, names[0]), url_of(pg_url, names[1])
    finally:
        for name in names:
            drop_database(pg_admin, name)


def rows(url: str) -> list[tuple[str, str, str]]:
    with psycopg.connect(url, autocommit=True) as conn:
        return conn.execute("SELECT key, digest, model FROM public._dbinit_state").fetchall()


def plant(url: str, model: str, seal: str | None = None) -> None:
    sealed = seal if seal is not None else hashlib.sha256(model.encode()).hexdigest()
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("UPDATE public._dbinit_state SET model = %s, digest = %s", (model, sealed))


@pytest.fixture
def planted(tmp_path: Path, two_dbs: tuple[str, str]) -> str:
    """A database built from FILES whose stored model is the one OTHER files gave."""
    url, other = two_dbs
    write_schema(tmp_path / "other", OTHER)
    done = run_dbinit(other, "init", "--schema-dir", str(tmp_path / "other"))
    assert done.exit_code == 0, done.stderr
    write_schema(tmp_path / "schemas", FILES)
    done = run_dbinit(url, "init", "--schema-dir", "schemas")
    assert done.exit_code == 0, done.stderr
    [(_, _, foreign)] = rows(other)
    assert len(rows(url)) == 1
    plant(url, foreign)
    return url


def test_check_uses_the_stored_model(planted: str) -> None:
    done = run_dbinit(planted, "check", "--schema-dir", "schemas")
    assert done.exit_code == 1, done.stdout
    changes = done.json()["changes"]
    assert [(c["kind"], c["table"], c["column"]) for c in changes] == [
        ("missing_column", "users", "name")
    ]


def test_a_runtime_role_without_createdb_checks_after_init(
    tmp_path: Path, pg_db: str, pg_url: str, pg_role: Any
) -> None:
    url = url_of(pg_url, str(conninfo_to_dict(pg_db)["dbname"]))
    write_schema(tmp_path / "schemas", FILES)
    role = pg_role("LOGIN NOCREATEDB")
    as_role = url.replace("postgres@", f"{role}@", 1)
    with psycopg.connect(pg_db, autocommit=True) as conn:
        conn.execute(sql.SQL("GRANT USAGE ON SCHEMA public TO {}").format(sql.Identifier(role)))
    try:
        _runtime_role_checks(tmp_path, url, as_role)
    finally:  # the role is dropped after this test: take back what it was granted
        with psycopg.connect(pg_db, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP OWNED BY {}").format(sql.Identifier(role)))


def _runtime_role_checks(tmp_path: Path, url: str, as_role: str) -> None:
    role = str(conninfo_to_dict(as_role)["user"])
    before = run_dbinit(as_role, "check")
    assert before.exit_code == 78, before.stdout  # needs a scratch space: no CREATEDB
    assert run_dbinit(url, "init").exit_code == 0
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(sql.SQL("GRANT SELECT ON users, notes TO {}").format(sql.Identifier(role)))
    for command in ("check", "validate"):
        done = run_dbinit(as_role, command)
        assert done.exit_code == 0, done.stdout + done.stderr
    # Changed files: no stored model for them, a scratch space is needed again.
    (tmp_path / "schemas" / "003.sql").write_text("CREATE TABLE more (id int PRIMARY KEY);\n")
    assert run_dbinit(as_role, "check").exit_code == 78


@pytest.mark.parametrize("change", ["file bytes", "dbinit version", "server version", "pg schema"])
def test_any_change_of_the_key_builds_from_the_files(
    planted: str, cli: Any, monkeypatch: pytest.MonkeyPatch, change: str, tmp_path: Path
) -> None:
    args = ["check", "--format", "json", "--database", planted, "--schema-dir", "schemas"]
    if change == "file bytes":
        (tmp_path / "schemas" / "002_notes.sql").write_text(FILES["002_notes.sql"] + "-- note\n")
    elif change == "dbinit version":
        monkeypatch.setattr(dbinit, "__version__", "99.0.0")
    elif change == "server version":
        real = state.key
        monkeypatch.setattr(state, "key", lambda c, v, s: real(c, v + 10000, s))
    else:  # the same tables in another schema: another key (and the files' own model)
        with psycopg.connect(planted, autocommit=True) as conn:
            conn.execute("CREATE SCHEMA app")
        assert cli("init", "--database", planted, "--pg-schema", "app").exit_code == 0
        args += ["--pg-schema", "app"]
    result = cli(*args)
    assert result.exit_code == 0, result.stdout + result.stderr


@pytest.mark.parametrize("damage", ["seal", "truncated", "unknown class", "deep nesting"])
def test_a_stored_model_that_does_not_load_is_ignored(planted: str, damage: str) -> None:
    [(_, _, model)] = rows(planted)
    if damage == "seal":
        plant(planted, model, seal="f" * 64)
    elif damage == "truncated":
        plant(planted, model[:-40])
    elif damage == "unknown class":
        plant(planted, model.replace('["Table",', '["Popen",', 1))
    else:
        plant(planted, '{"t":[' * 200_000 + "]}" * 200_000)
    done = run_dbinit(planted, "check", "--schema-dir", "schemas")
    assert done.exit_code == 0, done.stdout + done.stderr
    assert "Traceback" not in done.stderr


def test_a_trigger_on_the_state_table_never_runs(tmp_path: Path, pg_db: str, pg_url: str) -> None:
    url = url_of(pg_url, str(conninfo_to_dict(pg_db)["dbname"]))
    write_schema(tmp_path / "schemas", FILES)
    assert run_dbinit(url, "init").exit_code == 0
    with psycopg.connect(pg_db, autocommit=True) as conn:
        conn.execute("INSERT INTO users (email) VALUES ('a@x.io'), ('b@x.io')")
        conn.execute("DELETE FROM _dbinit_state")
        conn.execute(
            "CREATE FUNCTION wipe() RETURNS trigger LANGUAGE plpgsql AS"
            " $$BEGIN DELETE FROM users; RETURN NULL; END$$"
        )
        conn.execute(
            "CREATE TRIGGER wipe AFTER INSERT ON _dbinit_state FOR EACH ROW EXECUTE FUNCTION wipe()"
        )
    done = run_dbinit(url, "init")
    assert done.exit_code in (0, 3), done.stdout
    with psycopg.connect(pg_db, autocommit=True) as conn:
        assert conn.execute("SELECT count(*) FROM users").fetchone() == (2,)
        assert conn.execute("SELECT count(*) FROM _dbinit_state").fetchone() == (0,)


def test_the_route_answers_200_to_a_least_privilege_role(
    tmp_path: Path, pg_url: str, pg_admin: psycopg.Connection[Any], pg_role: Any
) -> None:
    name = create_database(pg_admin)
    try:
        url = url_of(pg_url, name)
        write_schema(tmp_path / "schemas", FILES)
        assert run_dbinit(url, "init").exit_code == 0
        role = pg_role("LOGIN NOCREATEDB")
        with psycopg.connect(url_for(pg_url, name), autocommit=True) as conn:
            conn.execute(sql.SQL("GRANT USAGE ON SCHEMA public TO {}").format(sql.Identifier(role)))
            conn.execute(sql.SQL("GRANT SELECT ON users, notes TO {}").format(sql.Identifier(role)))
        (tmp_path / "app.py").write_text(
            textwrap.dedent(
                """
                from fastapi import FastAPI
                from dbinit.fastapi import health_router

                app = FastAPI()
                app.include_router(
                    health_router(cache_seconds=0, pg_schema="public", lock_timeout=2, dev_url=None)
                )
                """
            )
        )
        as_role = url.replace("postgres@", f"{role}@", 1)
        server = Server(tmp_path, "app:app", child_env(DATABASE_URL=as_role))
        try:
            for _ in range(3):
                ok = server.get("/health/db")
                assert ok.status_code == 200, ok.text
            with psycopg.connect(url_for(pg_url, name), autocommit=True) as conn:
                conn.execute("ALTER TABLE notes DROP COLUMN body")
            pending = server.get("/health/db")
            assert pending.status_code == 503
            assert pending.json()["error"] == "drift"
            assert pending.json()["error_code"] == "DB_013"
        finally:
            server.stop()
            with psycopg.connect(url_for(pg_url, name), autocommit=True) as conn:
                conn.execute(sql.SQL("DROP OWNED BY {}").format(sql.Identifier(role)))
    finally:
        drop_database(pg_admin, name)


def test_a_failure_to_record_the_model_never_fails_the_run(
    cli: Any, pg_db: str, pg_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Recording is best effort after the run succeeded: a database gone at that moment
    leaves the model unrecorded (the next writing run records it), never an error."""
    from dbinit.errors import ConnectionFailed

    def gone(*_args: Any) -> bool:
        raise ConnectionFailed("Cannot reach the database server")

    monkeypatch.setattr(state, "store", gone)
    url = url_of(pg_url, str(conninfo_to_dict(pg_db)["dbname"]))
    write_schema(tmp_path / "schemas", FILES)
    result = cli("init", "--format", "json", "--database", url)
    assert result.exit_code == 0, result.stdout
    assert result.json()["status"] == "applied"
    with psycopg.connect(pg_db, autocommit=True) as conn:
        assert conn.execute("SELECT to_regclass('public._dbinit_state')").fetchone() == (None,)
