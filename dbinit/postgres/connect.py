"""Connections to PostgreSQL (psycopg 3), the mapping of its errors to dbinit's
error family, the advisory lock that serialises dbinit runs, and `lock_timeout`.

Error mapping (postgres.md "Errors"):

* server unreachable, DNS failure, timeout, starting up, too many connections
  (08*, 57P03, 53300): retried, then `ConnectionFailed` (69) with `retry_after`;
* authentication failure, a role that may not log in (28*): `PermissionDenied`
  (77), no retry; a missing privilege (42501): `PermissionDenied` (77);
* database does not exist (3D000): `ConnectionFailed` (69) naming it, no retry;
* disk full (53100): `IOFailure` (74);
* lock not available, deadlock, serialization failure (55P03, 40P01, 40001):
  retryable (`with_retry`), then `DatabaseLocked` (75) with `retry_after`;
* a connection option libpq rejects (a port that is not a number, …), and
  `sslmode=require` (or `verify-*`) against a server without SSL: `ConfigError`
  (78), no retry;
* a write the server refuses as read-only (25006: a hot standby): `ConfigError`
  (78);
* the connection lost mid-run (terminated backend, failover; 57P01, 08006, …):
  `ConnectionFailed` (69);
* a statement the server rejects (`rejected_statement`: a syntax error, an
  object missing or already there, steps in the wrong order): dbinit generated
  it, so it is dbinit's bug, `InternalError` (70) with the SQLSTATE; a function
  or trigger of the database raising (P0*): `DataError` (3).

libpq reports a failed connection as text without a SQLSTATE, so connection
failures are classified by the server's (English) message; anything not
recognised is treated as the server being unreachable. Messages never carry a
password: URLs are masked and libpq does not echo secrets.

Every session pins, at connection time, the settings that change how SQL text
is read or written and dbinit's own time limits (`PINNED`, `session_options`):
they go in libpq's `options` (`-c name=value`), which the server applies before
any query and above every role, database and server default. The user's own
`options` (URL or `PGOPTIONS`) are kept, before the pins, so they never
override one.
"""

from __future__ import annotations

import hashlib
import math
import os
import re
import shutil
import socket
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any, TypeVar

import psycopg
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from dbinit.errors import (
    ConfigError,
    ConnectionFailed,
    DatabaseLocked,
    DataError,
    DbInitError,
    InternalError,
    IOFailure,
    PermissionDenied,
    TimeLimit,
    mask_url,
)

T = TypeVar("T")

RETRYABLE_SQLSTATES = frozenset({"55P03", "40P01", "40001"})
_UNAVAILABLE_SQLSTATES = frozenset({"57P03", "53300", "57P01", "57P02", "57P05"})
_AUTH_TEXT = (
    "password authentication failed",
    "is not permitted to log in",
    "no pg_hba.conf entry",
    "authentication failed",
    "permission denied for database",
    "must be superuser",
    "pg_hba.conf rejects",
)
_STARTING_TEXT = (
    "the database system is starting up",
    "the database system is shutting down",
    "the database system is in recovery mode",
    "the database system is not yet accepting connections",
    "too many connections",
    "remaining connection slots are reserved",
)
_POOLER_TEXT = "unsupported startup parameter"
# libpq's words for a connection string it cannot use: a configuration error.
_CONFIG_TEXT = (
    "invalid integer value",
    "invalid connection option",
    "invalid uri query parameter",
    "invalid percent-encoded token",
    "invalid sslmode value",
    "invalid value for parameter",
    "invalid port number",
    'missing "=" after',
    "unterminated quoted string in connection info",
    _POOLER_TEXT,  # a pooler refusing the user's own `options`
)
_NO_SSL_TEXT = "server does not support ssl, but ssl was required"
_DEFAULT_CONNECT_TIMEOUT = 10
# What every dbinit session pins, whatever the role, database or server sets
# (postgres.md, "Schema files are declarations, not programs"). `search_path`
# is pinned too (`session_options`). The time limits are 0 here, PostgreSQL's
# own default: dbinit sets its own per statement (lock_timeout, the time left).
PINNED: tuple[tuple[str, str], ...] = (
    ("standard_conforming_strings", "on"),  # 'C:\new' keeps its backslash
    ("client_encoding", "UTF8"),
    ("statement_timeout", "0"),
    ("lock_timeout", "0"),
    ("idle_in_transaction_session_timeout", "0"),
    ("default_transaction_read_only", "off"),
    ("transform_null_equals", "off"),  # `x = NULL` stays what it says
    ("array_nulls", "on"),
)
_ESCAPE = re.compile(r"[\s\\]")
# How long past its deadline a session may wait for the server before the client
# gives up on it (the server's own statement_timeout normally ends it first).
DEADLINE_GRACE = 3.0
_NO_ROLE = re.compile(r'FATAL:\s+role ".*" does not exist')
_NO_DATABASE = re.compile(r'FATAL:\s+database ".*" does not exist')


def _describe(exc: BaseException) -> str:
    text = mask_url(str(exc).strip().replace("\n", " "))
    return f"{type(exc).__module__}.{type(exc).__qualname__}: {text}"


def _database_name(url: str) -> str:
    try:
        return str(conninfo_to_dict(url).get("dbname") or "")
    except psycopg.Error:
        return ""


def sqlstate(exc: BaseException) -> str | None:
    return getattr(exc, "sqlstate", None) if isinstance(exc, psycopg.Error) else None


def is_retryable(exc: BaseException) -> bool:
    """A lock timeout, deadlock or serialization failure: worth running again."""
    return sqlstate(exc) in RETRYABLE_SQLSTATES


def map_error(exc: BaseException, *, url: str = "", during: str = "") -> DbInitError:
    """The dbinit error for a psycopg error met on `url` (masked in messages)."""
    if isinstance(exc, DbInitError):
        return exc
    state = sqlstate(exc) or ""
    text = str(exc)
    low = text.lower()
    details = _describe(exc)
    where = f" during {during}" if during else ""
    target = f" {mask_url(url)}" if url else ""
    first_line = mask_url(text.strip().splitlines()[0] if text.strip() else type(exc).__name__)
    if state.startswith("28") or (
        not state and (any(t in low for t in _AUTH_TEXT) or _NO_ROLE.search(text))
    ):
        return PermissionDenied(
            f"Authentication refused by{target or ' the server'}", details=details
        )
    if not state and _NO_SSL_TEXT in low:
        mode = _sslmode(url) if url else "require"
        return ConfigError(
            f"The database server{target} does not accept SSL connections, but sslmode={mode} "
            "requires SSL: enable SSL on the server, or set sslmode=prefer (or disable) "
            "in the URL or PGSSLMODE",
            details=details,
        )
    if state == "25006":
        return ConfigError(
            f"The database server refuses writes{where} (a read-only server such as a hot "
            "standby, or a read-only transaction): point the URL at the primary",
            details=details,
        )
    if not state and any(t in low for t in _CONFIG_TEXT):
        return ConfigError(f"Invalid PostgreSQL connection settings: {first_line}", details=details)
    if state == "42501":
        return PermissionDenied(f"Permission denied{where}: {first_line}", details=details)
    if state == "3D000" or (not state and _NO_DATABASE.search(text)):
        name = _database_name(url) if url else ""
        label = f'"{name}"' if name else ""
        return ConnectionFailed(
            f"Database {label or 'named in the URL'} does not exist on{target or ' the server'}",
            details=details,
        )
    if state == "53100":
        return IOFailure(f"Disk full on the database server{where}; rolled back", details=details)
    if state.startswith("58") or state == "53000":
        return IOFailure(f"I/O error on the database server{where}: {first_line}", details=details)
    if state in RETRYABLE_SQLSTATES:
        what = {"55P03": "A lock was not granted in time", "40P01": "Deadlock detected"}.get(
            state, "Serialization failure"
        )
        return DatabaseLocked(f"{what}{where}", details=details, retry_after=5)
    if state == "57014" and "statement timeout" in low:
        return TimeLimit(
            f"Time limit reached{where}: the statement did not finish in the time left",
            details=details,
            retry_after=5,
        )
    if state == "57014":
        return DatabaseLocked(f"Statement cancelled{where}", details=details, retry_after=5)
    lost = isinstance(exc, psycopg.OperationalError | psycopg.InterfaceError)
    if (lost and not state) or state.startswith("08"):
        return ConnectionFailed(
            f"Cannot reach the database server{target}{where}: {first_line}",
            details=details,
            retry_after=5,
        )
    if state in _UNAVAILABLE_SQLSTATES:
        return ConnectionFailed(
            f"The database server is unavailable{where}: {first_line}",
            details=details,
            retry_after=5,
        )
    if state.startswith("P0"):
        return DataError(
            f"A function or trigger in the database raised an error{where}: {first_line}; "
            "rolled back",
            details=details,
        )
    if rejected_statement(exc):
        return InternalError(
            f"PostgreSQL rejected a statement dbinit generated{where}: {first_line} "
            f"(SQLSTATE {state}); this is a bug in dbinit, please report it",
            details=details,
        )
    return ConnectionFailed(f"Database error{where}: {first_line}", details=details)


# SQLSTATE classes about the connection or the server itself, never one statement:
# connection exceptions, invalid authorization, database missing, insufficient
# resources, program limits, operator intervention, system and internal errors.
_SERVER_CLASSES = ("08", "28", "3D", "53", "54", "57", "58", "F0", "XX")


def rejected_statement(exc: BaseException) -> bool:
    """PostgreSQL refused the statement itself (a syntax error, an object that
    does not exist or already does, a wrong order of steps, …): not the
    connection, the server's resources, a lock, a privilege, a read-only server,
    or the data (classes 22, 23) and a function's own RAISE (P0)."""
    state = sqlstate(exc) or ""
    return bool(state) and not (
        state.startswith((*_SERVER_CLASSES, "22", "23", "P0"))
        or state in RETRYABLE_SQLSTATES
        or state in ("42501", "25006", "57014")
    )


def _sslmode(url: str) -> str:
    try:
        mode = conninfo_to_dict(url).get("sslmode")
    except psycopg.Error:
        mode = None
    return str(mode or os.environ.get("PGSSLMODE") or "require")


def _search_path(schema: str) -> str:
    """The pinned `search_path`: the managed schema, then `public` (where extension
    types usually live). `pg_catalog` is left out so that PostgreSQL searches it
    first, as it does when it is not listed: no object of the user's can shadow a
    built-in name in dbinit's queries."""
    from dbinit.postgres.quote import printed

    return ", ".join(printed(n) for n in _schemas(schema))


def use_search_path(conn: psycopg.Connection[Any], schema: str, *, local: bool) -> None:
    """`SET [LOCAL] search_path` to the pinned one (`_search_path`): where the
    scratch build, the plan and its online steps run, so that what resolves in the
    files (an extension type in `public`) resolves there too."""
    scope = "LOCAL " if local else ""
    conn.execute(sql.SQL(f"SET {scope}search_path = {_search_path(schema)}"))


def _schemas(schema: str) -> list[str]:
    return [schema] if schema == "public" else [schema, "public"]


def session_options(params: Mapping[str, Any], schema: str = "public") -> dict[str, str]:
    """The connection keywords that pin every setting of `PINNED` and the
    `search_path` of `schema`: libpq's `options`, the user's own first (from
    `params`, the URL's keywords, else `PGOPTIONS`), then the pins, so that a
    later `-c` wins whatever the user wrote; and `client_encoding`, which libpq
    also sends on its own (after `options`, so it must agree)."""
    given = params.get("options")
    if given is None:
        given = os.environ.get("PGOPTIONS")
    text = str(given or "").strip()
    if (len(text) - len(text.rstrip("\\"))) % 2:  # a lone trailing backslash would
        text = text[:-1]  # escape the space before the first pin
    parts = [text] if text else []
    for name, value in _pins(schema):
        # The server splits `options` at white space; a backslash escapes the next character.
        escaped = _ESCAPE.sub(lambda m: "\\" + m.group(), value)
        parts.append(f"-c {name}={escaped}")
    return {"options": " ".join(parts), "client_encoding": "UTF8"}


def _pins(schema: str) -> list[tuple[str, str]]:
    return [*PINNED, ("search_path", _search_path(schema))]


def _pinned_connect(
    url: str,
    kwargs: dict[str, Any],
    params: Mapping[str, Any],
    schema: str,
    deadline: float | None,
) -> psycopg.Connection[Any]:
    """A `BoundedConnection` to `url` (its waits bounded by `deadline`, see
    `Watchdog`), the session pinned (`session_options`).

    A pooler that refuses startup parameters it does not track (PgBouncer:
    "unsupported startup parameter in options") gets a plain connection and
    the same pins as `SET`s, in one round trip. Settings older servers do not
    know (an unknown name in `options` refuses the connection) are `SET` after
    connecting: `idle_session_timeout` (PostgreSQL 14+).
    """
    try:
        conn = BoundedConnection.connect(url, **{**kwargs, **session_options(params, schema)})
        late: list[tuple[str, str]] = []
    except psycopg.OperationalError as exc:
        if _POOLER_TEXT not in str(exc).lower():
            raise
        conn = BoundedConnection.connect(url, **{**kwargs, "client_encoding": "UTF8"})
        late = _pins(schema)
    if deadline is not None:
        conn.watchdog = Watchdog(conn, deadline)
    try:
        if conn.info.server_version >= 140000:
            late.append(("idle_session_timeout", "0"))
        if late:
            conn.execute(sql.SQL("; ").join(_set(name, value, schema) for name, value in late))
            if not conn.autocommit:
                conn.commit()
    except BaseException:
        conn.close()
        raise
    return conn


def _set(name: str, value: str, schema: str) -> sql.Composed:
    if name == "search_path":  # a list: each name an identifier (a literal would be one name)
        value_sql: sql.Composable = sql.SQL(", ").join(sql.Identifier(n) for n in _schemas(schema))
    else:
        value_sql = sql.Literal(value)
    return sql.SQL("SET SESSION {} = {}").format(sql.Identifier(name), value_sql)


def is_transient_connect_error(exc: BaseException) -> bool:
    """A failed connection worth trying again (unreachable, waking up, full)."""
    if not isinstance(exc, psycopg.OperationalError):
        return False
    state = sqlstate(exc) or ""
    if state:
        return state in _UNAVAILABLE_SQLSTATES or state.startswith("08")
    low = str(exc).lower()
    if any(t in low for t in _STARTING_TEXT):
        return True
    mapped = map_error(exc)
    return type(mapped) is ConnectionFailed and mapped.retry_after is not None


def connect(
    url: str,
    *,
    attempts: int = 3,
    delay: float = 1.0,
    deadline: float | None = None,
    autocommit: bool = True,
    dbname: str | None = None,
    application_name: str = "dbinit",
    schema: str = "public",
    sleep: Callable[[float], None] = time.sleep,
) -> psycopg.Connection[Any]:
    """Open a connection to `url` (or its server's database `dbname`).

    A transient failure (unreachable, DNS, timeout, starting up, too many
    connections) is retried with a doubling delay, at most `attempts` more times
    and never past `deadline` (time.monotonic); then `ConnectionFailed` (69)
    with `retry_after`. Authentication (77), an unknown database (69) and a
    malformed URL (78) fail at once. `connect_timeout` defaults to the time left
    (at most 10 s) unless the URL sets it. The session pins `PINNED` and the
    `search_path` of the managed `schema` (`session_options`).
    """
    try:
        params = conninfo_to_dict(url)
    except psycopg.Error as exc:
        raise ConfigError(
            f"Invalid PostgreSQL URL {mask_url(url)}", details=_describe(exc)
        ) from None
    ports = str(params.get("port") or "").split(",")
    if not all(p.strip().isdigit() for p in ports if p.strip()):
        raise ConfigError(f"Invalid port in PostgreSQL URL {mask_url(url)}")
    kwargs: dict[str, Any] = {"autocommit": autocommit, **client_bounds(params)}
    if dbname is not None:
        kwargs["dbname"] = dbname
    if "application_name" not in params:
        kwargs["application_name"] = application_name
    tries = 0
    started = time.monotonic()
    while True:
        if "connect_timeout" not in params:
            left = _DEFAULT_CONNECT_TIMEOUT
            if deadline is not None:
                left = min(left, max(2, math.ceil(deadline - time.monotonic())))
            kwargs["connect_timeout"] = left
        try:
            return _pinned_connect(url, kwargs, params, schema, deadline)
        except psycopg.Error as exc:
            target = url if dbname is None else f"{url} (database {dbname})"
            if not is_transient_connect_error(exc):
                raise _named(map_error(exc, url=url), dbname, target) from None
            wait = delay * 2**tries
            out_of_time = deadline is not None and time.monotonic() + wait > deadline
            if tries >= attempts or out_of_time:
                elapsed = time.monotonic() - started
                raise ConnectionFailed(
                    f"Cannot reach the database server {mask_url(url)}",
                    details=f"{_describe(exc)} (after {tries + 1} attempts over {elapsed:.1f} s)",
                    retry_after=max(1, math.ceil(wait)),
                ) from None
            tries += 1
            sleep(wait)


def client_bounds(params: dict[str, Any]) -> dict[str, Any]:
    """libpq parameters that let the client notice a dead network on its own: TCP
    keepalives (a first probe after 5 s idle, then every 2 s, 3 lost probes) and
    `tcp_user_timeout` (data unacknowledged for 10 s), unless the URL sets them.
    A peer that acknowledges and never answers (a hung pooler, a proxy gone
    silent) passes both: the session's `Watchdog` bounds that case."""
    bounds = {
        "keepalives": 1,
        "keepalives_idle": 5,
        "keepalives_interval": 2,
        "keepalives_count": 3,
        "tcp_user_timeout": 10_000,
    }
    return {k: v for k, v in bounds.items() if k not in params}


# Deadlines the watchdogs enforced (time.monotonic of each): read by the callers
# that turn a lost connection into an error, to say why it was lost.
expired: list[float] = []


class Watchdog:
    """A client-side deadline for every wait of one session.

    A daemon thread sleeps until `deadline` + `DEADLINE_GRACE` (time.monotonic);
    if the session is still open then, it shuts its socket down: whatever libpq
    is waiting for ends at once with a lost connection, which the callers map to
    69 with `retry_after`. A cancel request would not do: it goes to the same
    silent peer. `extend` moves the deadline (an online step has its own limit);
    closing the session stops the thread.
    """

    def __init__(self, conn: psycopg.Connection[Any], deadline: float) -> None:
        self._conn = conn
        self.deadline = deadline
        self.fired = False
        self._stopped = False
        self._cond = threading.Condition()
        threading.Thread(target=self._watch, name="dbinit-deadline", daemon=True).start()

    def extend(self, deadline: float) -> None:
        with self._cond:
            self.deadline = deadline
            self._cond.notify()

    def stop(self) -> None:
        with self._cond:
            self._stopped = True
            self._cond.notify()

    def _watch(self) -> None:
        with self._cond:
            while not self._stopped:
                left = self.deadline + DEADLINE_GRACE - time.monotonic()
                if left <= 0:
                    break
                self._cond.wait(left)
            if self._stopped:
                return
            self.fired = True
            expired.append(self.deadline)
            # Under the lock: `stop` (called before the session closes) waits, so
            # the descriptor is still this session's.
            with suppress(Exception):
                fd = self._conn.pgconn.socket
                dup = socket.socket(fileno=os.dup(fd))
                try:
                    dup.shutdown(socket.SHUT_RDWR)
                finally:
                    dup.close()


class BoundedConnection(psycopg.Connection[Any]):
    """A psycopg connection whose waits a `Watchdog` bounds (when it has one)."""

    watchdog: Watchdog | None = None

    def close(self) -> None:
        if self.watchdog is not None:
            self.watchdog.stop()
        super().close()


def extend_deadline(conn: psycopg.Connection[Any], deadline: float) -> None:
    """Move the client-side deadline of `conn` (a no-op without a watchdog)."""
    watchdog = getattr(conn, "watchdog", None)
    if watchdog is not None:
        watchdog.extend(deadline)


def _named(err: DbInitError, dbname: str | None, target: str) -> DbInitError:
    if dbname is not None and isinstance(err, ConnectionFailed) and "does not exist" in err.message:
        return ConnectionFailed(
            f'Database "{dbname}" does not exist on {mask_url(target)}', details=err.details
        )
    return err


def with_retry(
    fn: Callable[[], T],
    *,
    attempts: int = 3,
    delay: float = 1.0,
    deadline: float | None = None,
    what: str = "",
    sleep: Callable[[float], None] = time.sleep,
) -> T:
    """Run `fn()`, running it again after a lock timeout, deadlock or
    serialization failure (with a doubling delay, within `attempts` and
    `deadline`); then `DatabaseLocked` (75) with `retry_after`. Other psycopg
    errors are mapped with `map_error`. `fn` must roll back its own work."""
    tries = 0
    started = time.monotonic()
    while True:
        try:
            return fn()
        except psycopg.Error as exc:
            if not is_retryable(exc):
                raise map_error(exc, during=what) from None
            wait = delay * 2**tries
            out_of_time = deadline is not None and time.monotonic() + wait > deadline
            if tries >= attempts or out_of_time:
                mapped = map_error(exc, during=what)
                elapsed = time.monotonic() - started
                raise DatabaseLocked(
                    mapped.message,
                    details=f"{_describe(exc)} (after {tries + 1} attempts over {elapsed:.1f} s)",
                    retry_after=max(1, math.ceil(wait)),
                ) from None
            tries += 1
            sleep(wait)


def set_lock_timeout(conn: psycopg.Connection[Any], seconds: float, *, local: bool = False) -> None:
    """`SET [LOCAL] lock_timeout` in milliseconds (at least 1: 0 would mean no limit)."""
    ms = max(1, int(seconds * 1000))
    conn.execute(
        sql.SQL("SET {} lock_timeout = {}").format(
            sql.SQL("LOCAL") if local else sql.SQL("SESSION"), sql.Literal(f"{ms}ms")
        )
    )


def advisory_key(database: str, schema: str) -> int:
    """The advisory lock key of dbinit runs on one database and managed schema: a
    stable signed 64-bit hash (first 8 bytes of SHA-256), the same in every process
    and version."""
    digest = hashlib.sha256(f"dbinit\x00{database}\x00{schema}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


def current_database(conn: psycopg.Connection[Any]) -> str:
    row = conn.execute("SELECT current_database()").fetchone()
    return str(row[0]) if row else ""


def try_advisory_lock(conn: psycopg.Connection[Any], key: int) -> bool:
    """Take the session-level advisory lock `key` if free; True when taken."""
    row = conn.execute("SELECT pg_try_advisory_lock(%s)", (key,)).fetchone()
    return bool(row and row[0])


def advisory_unlock(conn: psycopg.Connection[Any], key: int) -> None:
    conn.execute("SELECT pg_advisory_unlock(%s)", (key,))


@contextmanager
def advisory_lock(
    conn: psycopg.Connection[Any],
    key: int,
    *,
    deadline: float,
    poll: float = 0.05,
    sleep: Callable[[float], None] = time.sleep,
) -> Iterator[None]:
    """Hold the session-level advisory lock `key` for the block.

    Polls `pg_try_advisory_lock` (a waiting `pg_advisory_lock` would sit in the
    lock queue, where `lock_timeout` applies but cancelling is clumsy) until
    `deadline` (time.monotonic), then `DatabaseLocked` (75) with `retry_after`.
    The server releases the lock when the session ends, so a killed run never
    leaves it held.
    """
    pause = poll
    while not try_advisory_lock(conn, key):
        if time.monotonic() + pause > deadline:
            raise DatabaseLocked(
                "Another dbinit run holds the lock on this database and schema",
                details=f"pg_try_advisory_lock({key}) kept failing until the time limit",
                retry_after=5,
            )
        sleep(pause)
        pause = min(pause * 2, 1.0)
    try:
        yield
    finally:
        if not conn.closed:
            with suppress(psycopg.Error):  # the session is gone, and with it the lock
                advisory_unlock(conn, key)


# libpq's secret connection parameters: never on another process's command line.
SECRET_PARAMS = frozenset(
    {"password", "sslpassword", "oauth_client_secret", "scram_client_key", "scram_server_key"}
)
_SERVICE = "dbinit"


@contextmanager
def child_connection(url: str) -> Iterator[tuple[str, dict[str, str]]]:
    """How a child process (`pg_dump`) connects to `url` with no secret on its
    command line: yields its `--dbname` value and its environment.

    The password goes in `PGPASSWORD`. libpq has no environment variable for
    the other secrets (`sslpassword`, …): with any of them, every parameter goes
    in a connection service file that only this user can read (a 0700 folder,
    removed afterwards), named by `PGSERVICEFILE`, and `--dbname` is just
    `service=dbinit`. The URL's own `service=` cannot be combined with that:
    a configuration error (78).
    """
    params = {k: str(v) for k, v in conninfo_to_dict(url).items() if v is not None}
    env = dict(os.environ)
    password = params.pop("password", None)
    if password:
        env["PGPASSWORD"] = password
    secrets = sorted(k for k in params if k in SECRET_PARAMS)
    if not secrets:
        yield make_conninfo("", **params), env
        return
    if "service" in params:
        raise ConfigError(
            f"The URL sets both service= and {', '.join(secrets)}, which pg_dump could only "
            "get on its command line: put them in the connection service file instead"
        )
    bad = sorted(k for k, v in params.items() if "\n" in v or "\r" in v or v != v.rstrip())
    if bad:
        raise ConfigError(
            f"The URL's {', '.join(bad)} ends in white space or holds a line break, which "
            "cannot be passed to pg_dump privately"
        )
    folder = Path(tempfile.mkdtemp(prefix="dbinit-pg-"))  # mode 0700
    try:
        path = folder / "pg_service.conf"
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(f"[{_SERVICE}]\n" + "".join(f"{k}={v}\n" for k, v in params.items()))
        env["PGSERVICEFILE"] = str(path)
        env.pop("PGSERVICE", None)
        yield f"service={_SERVICE}", env
    finally:
        shutil.rmtree(folder, ignore_errors=True)
