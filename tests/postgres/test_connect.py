"""Connecting, error mapping, the advisory lock and lock_timeout, against the
real server (every mapping that a server can be made to produce on demand)."""

from __future__ import annotations

import json
import threading
import time
from typing import Any

import psycopg
import pytest

from dbinit.errors import (
    ConfigError,
    ConnectionFailed,
    DatabaseLocked,
    IOFailure,
    PermissionDenied,
)
from dbinit.postgres.connect import (
    advisory_key,
    advisory_lock,
    connect,
    current_database,
    is_transient_connect_error,
    map_error,
    set_lock_timeout,
    with_retry,
)

from .conftest import url_for


class Sleeps:
    """A recording stand-in for time.sleep: retries without waiting."""

    def __init__(self) -> None:
        self.calls: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)


def test_a_role_that_may_not_log_in_is_permission_denied(pg_url: str, pg_role: Any) -> None:
    role = pg_role("NOLOGIN")
    sleeps = Sleeps()
    with pytest.raises(PermissionDenied) as info:
        connect(url_for(pg_url, "postgres", user=role), sleep=sleeps)
    assert (info.value.exit_code, info.value.error_code) == (77, "DB_003")
    assert sleeps.calls == []  # no retry


def test_an_unknown_role_is_permission_denied(pg_url: str) -> None:
    with pytest.raises(PermissionDenied):
        connect(url_for(pg_url, "postgres", user="dbinit_no_such_role"), sleep=Sleeps())


def test_an_unknown_database_is_69_naming_it(pg_url: str) -> None:
    sleeps = Sleeps()
    with pytest.raises(ConnectionFailed) as info:
        connect(pg_url, dbname="dbinit_no_such_db", sleep=sleeps)
    assert info.value.exit_code == 69 and info.value.error_code == "DB_001"
    assert '"dbinit_no_such_db" does not exist' in info.value.message
    assert sleeps.calls == []


def test_an_unreachable_server_is_retried_then_69_with_retry_after() -> None:
    sleeps = Sleeps()
    url = "postgresql://postgres:s3cret@127.0.0.1:1/postgres"
    with pytest.raises(ConnectionFailed) as info:
        connect(url, attempts=3, delay=0.5, sleep=sleeps)
    assert sleeps.calls == [0.5, 1.0, 2.0]
    err = info.value
    assert err.exit_code == 69 and err.retry_after is not None and err.retry_after >= 1
    assert "s3cret" not in err.message and "s3cret" not in (err.details or "")
    assert "after 4 attempts" in (err.details or "")


def test_a_malformed_url_is_a_config_error_with_the_password_masked() -> None:
    with pytest.raises(ConfigError) as info:
        connect("postgresql://u:s3cret@host:notaport/db")
    assert "s3cret" not in info.value.message and "s3cret" not in (info.value.details or "")


def test_server_starting_up_is_transient() -> None:
    exc = psycopg.OperationalError(
        'connection failed: connection to server at "db", port 5432 failed: '
        "FATAL:  the database system is starting up"
    )
    assert is_transient_connect_error(exc)
    assert isinstance(map_error(exc), ConnectionFailed)


def test_missing_privilege_is_77(pg_url: str, pg_role: Any, pg_db: str) -> None:
    role = pg_role("LOGIN")
    conn = connect(url_for(pg_db, psycopg.conninfo.conninfo_to_dict(pg_db)["dbname"], user=role))
    with conn, pytest.raises(psycopg.Error) as info:
        conn.execute("CREATE TABLE public.t (a int)")  # PostgreSQL 15: public is the owner's
    err = map_error(info.value)
    assert isinstance(err, PermissionDenied) and err.exit_code == 77


def test_disk_full_is_74() -> None:
    # A full disk cannot be provoked on the shared test server; its SQLSTATE class is.
    err = map_error(psycopg.errors.DiskFull("could not extend file: No space left on device"))
    assert isinstance(err, IOFailure) and err.exit_code == 74


def test_lock_timeout_is_retried_then_75(pg_conn: psycopg.Connection[Any], pg_db: str) -> None:
    pg_conn.execute("CREATE TABLE t (a int)")
    with psycopg.connect(pg_db) as holder, connect(pg_db) as waiter:
        holder.execute("LOCK TABLE t IN ACCESS EXCLUSIVE MODE")  # held: transaction open
        set_lock_timeout(waiter, 0.05)
        assert waiter.execute("SHOW lock_timeout").fetchone() == ("50ms",)
        tries: list[int] = []

        def attempt() -> None:
            tries.append(1)
            waiter.execute("SELECT * FROM t")

        sleeps = Sleeps()
        with pytest.raises(DatabaseLocked) as info:
            with_retry(attempt, attempts=2, delay=0.1, sleep=sleeps, what="reading t")
        assert len(tries) == 3 and sleeps.calls == [0.1, 0.2]
        err = info.value
        assert (err.exit_code, err.error_code) == (75, "DB_002") and err.retry_after
        holder.rollback()
        assert with_retry(lambda: waiter.execute("SELECT count(*) FROM t").fetchone()) == (0,)


def test_serialization_failure_is_retryable_75(
    pg_conn: psycopg.Connection[Any], pg_db: str
) -> None:
    pg_conn.execute("CREATE TABLE t (a int); INSERT INTO t VALUES (1)")
    with psycopg.connect(pg_db) as a:
        a.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        a.execute("SELECT * FROM t").fetchall()
        pg_conn.execute("UPDATE t SET a = 2")
        with pytest.raises(psycopg.errors.SerializationFailure) as info:
            a.execute("UPDATE t SET a = 3")
    err = map_error(info.value)
    assert isinstance(err, DatabaseLocked) and err.exit_code == 75 and err.retry_after


def test_deadlock_is_retryable_75(pg_conn: psycopg.Connection[Any], pg_db: str) -> None:
    pg_conn.execute("CREATE TABLE t1 (a int); CREATE TABLE t2 (a int)")
    errors: list[BaseException] = []
    with psycopg.connect(pg_db) as a, psycopg.connect(pg_db) as b:
        a.execute("SET deadlock_timeout = '100ms'")
        b.execute("SET deadlock_timeout = '100ms'")
        a.execute("LOCK TABLE t1")
        b.execute("LOCK TABLE t2")

        def a_waits() -> None:
            try:
                a.execute("LOCK TABLE t2")
            except psycopg.Error as exc:
                errors.append(exc)

        thread = threading.Thread(target=a_waits)
        thread.start()
        try:
            b.execute("LOCK TABLE t1")
        except psycopg.Error as exc:
            errors.append(exc)
        b.rollback()
        thread.join(60)
        a.rollback()
    (exc,) = errors
    assert isinstance(exc, psycopg.errors.DeadlockDetected)
    err = map_error(exc)
    assert isinstance(err, DatabaseLocked) and err.exit_code == 75


def test_a_terminated_backend_is_69(pg_db: str, pg_admin: psycopg.Connection[Any]) -> None:
    conn = connect(pg_db)
    pg_admin.execute("SELECT pg_terminate_backend(%s)", (conn.info.backend_pid,))
    with conn, pytest.raises(psycopg.Error) as info:
        conn.execute("SELECT 1")
    err = map_error(info.value)
    assert isinstance(err, ConnectionFailed) and err.exit_code == 69


def test_advisory_lock_serialises_runs_on_one_database_and_schema(pg_db: str) -> None:
    assert advisory_key("app", "public") == advisory_key("app", "public")
    assert advisory_key("app", "public") != advisory_key("app", "other")
    assert advisory_key("app", "public") == -6288573412339619591  # stable across runs
    with connect(pg_db) as a, connect(pg_db) as b:
        key = advisory_key(current_database(a), "public")
        with advisory_lock(a, key, deadline=time.monotonic() + 5):
            with (
                pytest.raises(DatabaseLocked) as info,
                advisory_lock(b, key, deadline=time.monotonic() + 0.2),
            ):
                pass
            assert info.value.retry_after
        with advisory_lock(b, key, deadline=time.monotonic() + 5):
            pass


def _server_has_ssl(pg_url: str) -> bool:
    with psycopg.connect(pg_url) as conn:
        row = conn.execute("SHOW ssl").fetchone()
    return bool(row and row[0] == "on")


def test_sslmode_require_without_ssl_on_the_server_is_78_naming_sslmode(pg_url: str) -> None:
    if _server_has_ssl(pg_url):
        pytest.skip("this server accepts SSL: the refusal cannot be provoked")
    sleeps = Sleeps()
    url = url_for(pg_url, "postgres", sslmode="require", password="s3cret")
    with pytest.raises(ConfigError) as info:
        connect(url, attempts=3, delay=0.5, sleep=sleeps)
    err = info.value
    assert err.exit_code == 78 and sleeps.calls == []  # no retry: it never gets better
    assert "sslmode=require" in err.message and "SSL" in err.message
    assert "s3cret" not in err.message and "s3cret" not in (err.details or "")


def test_sslmode_from_pgsslmode_is_named(pg_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    if _server_has_ssl(pg_url):
        pytest.skip("this server accepts SSL: the refusal cannot be provoked")
    monkeypatch.setenv("PGSSLMODE", "verify-full")
    with pytest.raises(ConfigError) as info:
        connect(url_for(pg_url, "postgres"), sleep=Sleeps())
    assert "sslmode=verify-full" in info.value.message


def test_a_write_the_server_refuses_as_read_only_is_78(pg_conn: psycopg.Connection[Any]) -> None:
    # A hot standby refuses every write with 25006; a read-only transaction does too.
    pg_conn.execute("SET default_transaction_read_only = on")
    with pytest.raises(psycopg.Error) as info:
        pg_conn.execute("CREATE TABLE t (a int)")
    err = map_error(info.value, during="applying the plan")
    assert isinstance(err, ConfigError) and err.exit_code == 78
    assert "refuses writes" in err.message


# --- secrets never reach a child's command line ------------------------------------------


def test_child_connection_puts_every_secret_in_the_environment_or_a_private_file() -> None:
    import os
    import stat
    from pathlib import Path

    from dbinit.postgres.connect import child_connection

    url = "postgresql://app:PW-s3cret@db.internal:5432/app?sslpassword=KEY-s3cret&sslmode=require"
    with child_connection(url) as (dbname, env):
        assert "s3cret" not in dbname
        assert env["PGPASSWORD"] == "PW-s3cret"
        service = Path(env["PGSERVICEFILE"])
        assert stat.S_IMODE(service.stat().st_mode) == 0o600
        assert stat.S_IMODE(service.parent.stat().st_mode) == 0o700
        text = service.read_text(encoding="utf-8")
        assert "sslpassword=KEY-s3cret" in text and "PW-s3cret" not in text
        assert dbname == "service=dbinit"
    assert not service.exists() and not service.parent.exists()
    # The password alone: a plain conninfo without it, as before.
    with child_connection("postgresql://app:PW-s3cret@db/app") as (dbname, env):
        assert "s3cret" not in dbname and "host=db" in dbname
        assert env["PGPASSWORD"] == "PW-s3cret"
        assert env.get("PGSERVICEFILE") == os.environ.get("PGSERVICEFILE")


def test_pg_dump_gets_no_secret_on_its_command_line(
    pg_db: str, tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    import shutil
    import subprocess

    from typer.testing import CliRunner

    from dbinit.cli import app
    from tests.postgres.helpers import execute, url_of

    if shutil.which("pg_dump") is None:
        pytest.skip("pg_dump is not installed")
    execute(pg_db, "CREATE TABLE items (id bigint PRIMARY KEY, qty text)")
    (tmp_path / "schemas").mkdir()
    (tmp_path / "schemas" / "001.sql").write_text(
        "CREATE TABLE items (id bigint PRIMARY KEY, qty integer);\n", encoding="utf-8"
    )
    # Trust authentication: the server ignores the password; without SSL libpq
    # ignores sslpassword. Both must still stay off pg_dump's command line.
    url = url_of(pg_db, psycopg.conninfo.conninfo_to_dict(pg_db)["dbname"]).replace(
        "postgresql://postgres@", "postgresql://postgres:PW-s3cret@"
    )
    url += "?sslpassword=KEY-s3cret&sslmode=disable"
    calls: list[list[str]] = []
    real = subprocess.run

    def spy(argv: list[str], **kwargs: Any) -> Any:
        calls.append(list(argv))
        return real(argv, **kwargs)

    monkeypatch.setattr("dbinit.postgres.backend.subprocess.run", spy)
    res = CliRunner().invoke(
        app,
        [
            "repair",
            "--yes",
            "--backup-dir",
            str(tmp_path / "bk"),
            "--database",
            url,
            "--schema-dir",
            str(tmp_path / "schemas"),
            "--format",
            "json",
        ],
    )
    assert res.exit_code == 0, res.output
    (argv,) = calls
    assert argv[0].endswith("pg_dump")
    assert not any("s3cret" in a for a in argv), argv
    assert any(p.suffix == ".dump" and p.stat().st_size > 0 for p in (tmp_path / "bk").iterdir())


# --- the CLI end to end ----------------------------------------------------------------


def test_sqlalchemy_database_url_reaches_the_postgres_database(
    pg_db: str, tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from typer.testing import CliRunner

    from dbinit.cli import app
    from tests.postgres.helpers import scalar, url_of

    url = url_of(pg_db, psycopg.conninfo.conninfo_to_dict(pg_db)["dbname"])
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DATABASE_URL", url.replace("postgresql://", "postgresql+psycopg2://"))
    (tmp_path / "schemas").mkdir()
    (tmp_path / "schemas" / "001.sql").write_text(
        "CREATE TABLE items (id bigint PRIMARY KEY);\n", encoding="utf-8"
    )
    res = CliRunner().invoke(app, ["init", "--format", "json", "--log-format", "json"])
    assert res.exit_code == 0, res.output
    assert scalar(pg_db, "SELECT to_regclass('public.items') IS NOT NULL") is True
    assert not (tmp_path / "app.db").exists()
    assert "driver part '+psycopg2' of the URL is ignored" in res.stderr


def test_sslmode_require_without_ssl_is_78_from_the_cli_quickly(
    pg_url: str, tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from typer.testing import CliRunner

    from dbinit.cli import app
    from tests.postgres.helpers import url_of

    if _server_has_ssl(pg_url):
        pytest.skip("this server accepts SSL: the refusal cannot be provoked")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DBINIT_RETRY_DELAY", "5")  # a retry would show in the attempts
    (tmp_path / "schemas").mkdir()
    (tmp_path / "schemas" / "001.sql").write_text("CREATE TABLE t (id int);\n", encoding="utf-8")
    url = url_of(pg_url, "postgres").replace("@", ":s3cret@", 1) + "?sslmode=require"
    res = CliRunner().invoke(app, ["check", "--database", url, "--format", "json"])
    assert res.exit_code == 78, res.output
    error = json.loads(res.stdout)["error"]
    assert "sslmode=require" in error["message"]
    assert "attempts" not in (error.get("details") or "")
    assert "s3cret" not in res.stdout + res.stderr
