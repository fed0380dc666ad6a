"""The PostgreSQL engine behind the seam (`dbinit.backend.Backend`).

* desired state: the schema files run in a scratch space (`scratch`), read back
  by the same introspector as the target;
* reading: one connection, `introspect` (a fixed number of queries), never a
  write; `validate` adds its checks on the same session (no invalid index, no
  NOT VALID constraint, every foreign key holds);
* writing: one session holds the advisory lock of (database, managed schema)
  for the whole run; under it the live schema is read again and the plan
  recomputed, the plan's prechecks run (a violation is 3 / DB_005 and nothing
  is applied), then the transactional statements and the history row commit
  together, then each online statement runs on its own (`CREATE INDEX
  CONCURRENTLY`, `VALIDATE CONSTRAINT`, ...). Every statement runs under
  `lock_timeout` and the time left (`statement_timeout`); a lock not granted
  is retried with backoff within the limit, then 75 with `retry_after`. An
  online statement that fails drops what it left half-done (an invalid index,
  a NOT VALID constraint) and the next run rebuilds it anyway: both are drift;
* backup: `pg_dump` only when a backup folder is given.

Nothing here prints, parses options or configures logging.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import time
import weakref
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any

from dbinit.postgres import require_driver

require_driver()

import psycopg  # noqa: E402
from psycopg import sql  # noqa: E402
from psycopg.conninfo import conninfo_to_dict  # noqa: E402

from dbinit.backend import PRE_DEPLOY, Backend, Progress, Written  # noqa: E402
from dbinit.changes import Kind  # noqa: E402
from dbinit.entities import Entities  # noqa: E402
from dbinit.errors import (  # noqa: E402
    ConfigError,
    ConnectionFailed,
    DatabaseLocked,
    DataError,
    DbInitError,
    IntegrityFailed,
    InternalError,
    IOFailure,
    Refused,
    TimeLimit,
    mask_url,
)
from dbinit.logs import log  # noqa: E402
from dbinit.plan import Plan, Policy, Statement, change_label, refusal  # noqa: E402
from dbinit.postgres.compare.types import enum_additions  # noqa: E402
from dbinit.postgres.connect import (  # noqa: E402
    advisory_key,
    advisory_lock,
    child_connection,
    connect,
    current_database,
    expired,
    extend_deadline,
    map_error,
    rejected_statement,
    sqlstate,
    use_search_path,
    with_retry,
)
from dbinit.postgres.introspect import introspect  # noqa: E402
from dbinit.postgres.model import HISTORY_TABLE, INTERNAL_PREFIX, EnumType, Schema  # noqa: E402
from dbinit.postgres.quote import ident as _quote  # noqa: E402
from dbinit.postgres.quote import literal, printed  # noqa: E402
from dbinit.report import Report  # noqa: E402
from dbinit.run import Run  # noqa: E402

Conn = psycopg.Connection[Any]


@dataclass(frozen=True, slots=True)
class Desired:
    """The declared schema, as PostgreSQL built it from the files."""

    schema: Schema
    folder: str
    file_count: int
    checksum: str
    scratch: str  # where the files ran (for the logs), or "remembered"
    lint: tuple[str, ...] = ()  # PostgreSQL itself checks the files: no lint of our own
    key: str = ""  # the remembered-state key (dbinit.remember); "" when not computed
    remembered: bool = False  # read from the target, not built from the files


@dataclass(frozen=True, slots=True)
class Snapshot:
    """The live schema as read at one moment (the database always exists: a
    missing one is an error, 69)."""

    schema: Schema
    exists: bool = True


def _ms(t0: float) -> float:
    return round((time.perf_counter() - t0) * 1000, 3)


def _url(run: Run) -> str:
    return run.settings.database_url.strip()


def _connect(run: Run) -> Conn:
    """A session whose every statement runs under `lock_timeout` and the time left
    (reading the catalogs waits for locks too: `pg_get_indexdef` behind an ACCESS
    EXCLUSIVE lock)."""
    conn = connect(
        _url(run),
        attempts=run.retry.attempts,
        delay=run.retry.delay,
        deadline=run.retry.deadline,
        schema=run.settings.pg_schema,
    )
    try:
        _timeouts(run, conn)
    except BaseException:
        conn.close()
        raise
    return conn


def _timeouts(run: Run, conn: Conn, *, local: bool = False, until: float | None = None) -> bool:
    """`lock_timeout` (the setting, cut to the time left) and `statement_timeout`
    (the time left until `until`, by default the run's deadline), one round trip.
    True when the lock wait was cut short by the time left."""
    end = run.retry.deadline if until is None else until
    left = max(1, int((end - time.monotonic()) * 1000))
    setting = max(1, int(run.settings.lock_timeout * 1000))
    lock = min(setting, left)
    scope = "LOCAL" if local else "SESSION"
    conn.execute(
        sql.SQL("SET {scope} lock_timeout = {lock}; SET {scope} statement_timeout = {left}").format(
            scope=sql.SQL(scope), lock=sql.Literal(f"{lock}ms"), left=sql.Literal(f"{left}ms")
        )
    )
    if not local:
        _limits_set[conn] = (time.monotonic(), lock < setting)
    return lock < setting


# When each session's limits were last set (and whether its lock wait was cut):
# set again before a statement once they are stale, so no wait runs past the deadline.
_limits_set: weakref.WeakKeyDictionary[Conn, tuple[float, bool]] = weakref.WeakKeyDictionary()
_STALE = 0.25  # seconds


def _setting(run: Run, online: bool) -> str:
    if online:
        return f"--online-timeout {run.settings.online_timeout:g} s (DBINIT_ONLINE_TIMEOUT)"
    return f"--timeout {run.settings.initialization_timeout:g} s (DBINIT_INITIALIZATION_TIMEOUT)"


def time_limit(
    run: Run, what: str, exc: DbInitError | None = None, *, online: bool = False
) -> TimeLimit:
    """The error for a time limit reached while doing `what`: names the setting to raise."""
    return TimeLimit(
        f"Time limit reached during {what}: it did not finish within {_setting(run, online)}; "
        "raise it, or retry when the database is less busy",
        details=exc.details if exc is not None else None,
        retry_after=5,
    )


def _retry(
    run: Run,
    fn: Callable[[], Any],
    what: str,
    *,
    conn: Conn | None = None,
    until: float | None = None,
    online: bool = False,
) -> Any:
    """`fn()` retried after a lock timeout, deadlock or serialization failure
    (`with_retry`). With `conn`, its limits are set again before an attempt once
    they are stale, so `lock_timeout` never runs past the time left. A lock not
    granted stays `database_locked`; a wait that the deadline cut short, or a
    statement cancelled by `statement_timeout`, is `time_limit` naming `what` and
    the setting (`--online-timeout` for an online step, else `--timeout`)."""
    cut = [False]

    def attempt() -> Any:
        if conn is not None:
            last = _limits_set.get(conn)
            if online or last is None or time.monotonic() - last[0] > _STALE:
                cut[0] = _timeouts(run, conn, until=until)
            else:
                cut[0] = last[1]
        return fn()

    try:
        return with_retry(
            attempt,
            attempts=run.retry.attempts,
            delay=run.retry.delay,
            deadline=run.retry.deadline if until is None else until,
            what=what,
        )
    except TimeLimit as exc:
        raise time_limit(run, what, exc, online=online) from None
    except DatabaseLocked as exc:
        if cut[0]:
            raise time_limit(run, what, exc, online=online) from None
        raise


def _fetch_one(conn: Conn, query: str | sql.Composed) -> tuple[Any, ...] | None:
    row: tuple[Any, ...] | None = conn.execute(
        query.encode() if isinstance(query, str) else query
    ).fetchone()
    return row


def _read(run: Run, conn: Conn) -> Schema:
    t0 = time.perf_counter()
    schema = _retry(
        run, lambda: introspect(conn, run.settings.pg_schema), "reading the schema", conn=conn
    )
    log.info("database.opened", mode="read-only", objects=schema.object_count(), ms=_ms(t0))
    return schema  # type: ignore[no-any-return]


def _plan(desired: Schema, live: Schema, policy: Policy) -> Plan:
    from dbinit.postgres.compare import compare
    from dbinit.postgres.planner import make_plan
    from dbinit.postgres.reprint import as_declared

    live = as_declared(desired, live)
    plan: Plan = make_plan(compare(desired, live), desired, policy)  # sees what the diff saw
    return plan


class PostgresBackend:
    """PostgreSQL 13+ through psycopg 3."""

    # Where `dbinit deploy` runs `init` then `validate`: the pre-deploy command (the
    # server is reached over the private network; the old version keeps serving).
    database_step = PRE_DEPLOY

    def notes(self, run: Run) -> list[str]:
        return []

    def desired(self, run: Run, *, remembered: bool = True) -> Desired:
        from dbinit.postgres import state
        from dbinit.postgres.scratch import build_desired

        folder, files, checksum = _load_files(run.settings.schema_dir)
        key = ""
        if remembered:
            with _guard(run, "read"), _connect(run) as conn:
                key = state.key(checksum, conn.info.server_version, run.settings.pg_schema)
                found = state.lookup(conn, run.settings.pg_schema, key)
            if found is not None:
                log.info("desired.remembered_used", key=key[:12])
                return Desired(found, folder, len(files), checksum, "remembered", (), key, True)
        with _guard(run, "running the schema files in the scratch space"):
            built = build_desired(
                _url(run),
                files,
                schema=run.settings.pg_schema,
                dev_url=run.settings.dev_url,
                deadline=run.retry.deadline,
                attempts=run.retry.attempts,
                delay=run.retry.delay,
            )
        log.debug("schema.scratch", where=built.scratch)
        return Desired(built.schema, folder, len(files), checksum, built.scratch, key=key)

    def remember(self, run: Run, desired: Desired) -> None:
        from dbinit.postgres import state

        if not desired.key or desired.remembered:
            return
        try:  # best effort: the run already succeeded; the next writing run records it
            with _guard(run, "remember"), _connect(run) as conn:
                state.store(conn, run.settings.pg_schema, desired.key, desired.schema)
        except DbInitError as exc:
            log.warning("desired.not_remembered", reason=exc.message)

    def read(self, run: Run) -> Snapshot:
        with _guard(run, "read"), _connect(run) as conn:
            return Snapshot(_read(run, conn))

    def read_checked(
        self, run: Run, report: Report, integrity: str
    ) -> tuple[Snapshot, DbInitError | None]:
        with _guard(run, "validate"), _connect(run) as conn:
            schema = _read(run, conn)
            failure = _checks(run, conn, schema, report, integrity)
        return Snapshot(schema), failure

    def plan(self, desired: Desired, live: Snapshot, policy: Policy) -> Plan:
        return _plan(desired.schema, live.schema, policy)

    def may_write(self, run: Run) -> None:
        return None

    def conflicts(self, desired: Desired, live: Snapshot) -> None:
        kind_conflicts(desired.schema, live.schema)

    def write(
        self,
        run: Run,
        desired: Desired,
        policy: Policy,
        *,
        prior: tuple[Snapshot, Plan],
        before_write: Callable[[Plan], None] | None = None,
        progress: Progress | None = None,
    ) -> Written:
        with _guard(run, "apply"):
            return _write(run, desired, policy, before_write)

    def verify(self, run: Run, desired: Desired, policy: Policy) -> None:
        live = self.read(run)
        t0 = time.perf_counter()
        # What the run was to apply must be gone: the same policy plans nothing more.
        again = _plan(desired.schema, live.schema, policy)
        left = [c for step in again.steps for c in step.changes]
        log.info("verify.done", remaining=len(left), ms=_ms(t0))
        if left:
            raise InternalError(
                "Verification failed after commit: "
                + ", ".join(change_label(c) for c in left)
                + " still differ"
            )

    def backup(
        self,
        run: Run,
        folder: Path | None,
        progress: Progress | None,
        written: Callable[[Path], None],
    ) -> Path | None:
        if folder is None:  # on PostgreSQL a backup is taken only when asked for
            return None
        return _pg_dump(run, folder, written)

    def export(self, live: Snapshot) -> dict[str, tuple[list[str], str]]:
        from dbinit.postgres.export import export

        return export(live.schema)

    def history(self, run: Run, limit: int | None) -> list[dict[str, Any]]:
        with _guard(run, "history"), _connect(run) as conn:
            return _history(run, conn, limit)

    def fingerprint(self, state: Desired | Snapshot) -> str:
        from dbinit.planfile import fingerprint

        return fingerprint(state.schema)

    def as_live(self, run: Run, desired: Desired | None) -> Snapshot:
        if desired is None:
            return Snapshot(Schema(schema=run.settings.pg_schema))
        return Snapshot(desired.schema)

    def entities(self, state: Desired | Snapshot) -> Entities:
        from dbinit.postgres.entities import entities

        return entities(state.schema)


BACKEND: Backend[Desired, Snapshot] = PostgresBackend()


class _guard:
    """Any psycopg error escaping a block becomes the dbinit error for it."""

    def __init__(self, run: Run, during: str) -> None:
        self.url = _url(run)
        self.during = during
        self.timeout = run.settings.initialization_timeout
        self.expired = len(expired)

    def __enter__(self) -> None:
        self.expired = len(expired)

    def __exit__(self, kind: Any, exc: BaseException | None, tb: Any) -> None:
        lost = isinstance(exc, psycopg.Error | ConnectionFailed | TimeLimit)
        if lost and len(expired) > self.expired:
            # The client-side deadline closed the session: the server stopped answering.
            raise ConnectionFailed(
                f"No answer from the database server {mask_url(self.url)} during "
                f"{self.during} within the time limit (--timeout {self.timeout:g} s): the "
                "network or a pooler in between stopped answering; the session was closed",
                details=f"{type(exc).__module__}.{type(exc).__qualname__}: "
                + mask_url(str(exc).strip().replace("\n", " ")),
                retry_after=5,
            ) from None
        if isinstance(exc, psycopg.Error):
            raise map_error(exc, url=self.url, during=self.during) from None


# --- the schema files ------------------------------------------------------------------


def _load_files(display: str) -> tuple[str, list[tuple[str, str]], str]:
    """`display/**/*.sql` in lexical order of their relative paths: (folder, (name,
    text) pairs, checksum), found and read as for every engine."""
    import hashlib

    from dbinit.schemafiles import find, read_text

    digest = hashlib.sha256()
    files = [(f.shown, read_text(f, digest)) for f in find(Path(display), display)]
    return display, files, digest.hexdigest()


# --- conflicts ---------------------------------------------------------------------------

_RELATIONS = ("tables", "partitions", "views", "materialized_views", "indexes", "sequences")
_WORD = {
    "tables": "a table",
    "partitions": "a partition",
    "views": "a view",
    "materialized_views": "a materialized view",
    "indexes": "an index",
    "sequences": "a sequence",
}


def kind_conflicts(desired: Schema, live: Schema) -> None:
    """Tables, views, materialized views, indexes and sequences share one
    namespace: a declared object whose name the database gives to an object of
    another kind is not replaced."""
    for want in _RELATIONS:
        for name, obj in getattr(desired, want).items():
            for have in _RELATIONS:
                if have != want and name in getattr(live, have):
                    loc = getattr(obj, "loc", None)
                    raise Refused(
                        f"The database has {_WORD[have]} named {name} where the schema "
                        f"declares {_WORD[want]} of that name ({loc or 'schema files'}); dbinit "
                        "does not replace one kind of object with another: rename or drop it "
                        "yourself, or rename the declared one",
                        details="nothing was changed",
                    )


# --- validate's checks -------------------------------------------------------------------


def _checks(
    run: Run, conn: Conn, schema: Schema, report: Report, integrity: str
) -> DbInitError | None:
    """No invalid index (`integrity`; a NOT VALID constraint is the diff's to judge), and every
    validated foreign key holds (rows counted, whatever the catalogs say)."""
    t0 = time.perf_counter()
    failure: DbInitError | None = None
    if integrity != "off":
        problems = [
            f"index {i.name} on {i.table} is invalid (a failed or interrupted concurrent build)"
            for i in schema.invalid_indexes
        ]
        # A NOT VALID constraint is the diff's to judge: drift when the files
        # declare it validated, satisfied when they declare it NOT VALID.
        report.checks["integrity"] = "failed" if problems else "ok"
        if problems:
            more = f" (+{len(problems) - 1} more)" if len(problems) > 1 else ""
            failure = IntegrityFailed(
                f"{problems[0]}{more}; `dbinit init` rebuilds or validates it",
                details="; ".join(problems[:20]),
            )
    fk = _foreign_key_problem(run, conn, schema)
    report.checks["foreign_keys"] = "failed" if fk else "ok"
    log.info("checks.done", **report.checks, ms=_ms(t0))
    return failure or fk


def _foreign_key_query(schema: str, con: Any, *, count: bool) -> sql.Composed:
    child = sql.Identifier(schema, con.table)
    parent = sql.Identifier(schema, con.ref_table)
    matches = sql.SQL(" AND ").join(
        sql.SQL("p.{} = c.{}").format(sql.Identifier(r), sql.Identifier(c))
        for c, r in zip(con.columns, con.ref_columns, strict=True)
    )
    present = sql.SQL(" AND ").join(
        sql.SQL("c.{} IS NOT NULL").format(sql.Identifier(c)) for c in con.columns
    )
    what = sql.SQL("count(*)") if count else sql.SQL("c.*")
    return sql.SQL(
        "SELECT {what} FROM {child} c WHERE {present} "
        "AND NOT EXISTS (SELECT 1 FROM {parent} p WHERE {matches})"
    ).format(what=what, child=child, parent=parent, present=present, matches=matches)


def _foreign_key_problem(run: Run, conn: Conn, schema: Schema) -> DbInitError | None:
    found: list[tuple[Any, int]] = []
    for con in schema.constraints():
        if con.type != "f" or not con.columns or con.ref_table is None:
            continue
        if not con.validated:  # NOT VALID promises nothing about older rows (the diff judges it)
            continue
        if len(con.columns) != len(con.ref_columns):
            continue
        query = _foreign_key_query(schema.schema, con, count=True)
        row = _retry(
            run, partial(_fetch_one, conn, query), "validate's foreign key check", conn=conn
        )
        if row and row[0]:
            found.append((con, int(row[0])))
    if not found:
        return None
    con, n = found[0]
    finder = _foreign_key_query(schema.schema, con, count=False).as_string(conn)
    more = f" (+{len(found) - 1} more)" if len(found) > 1 else ""
    return DataError(
        f"foreign key {con.name} on {con.table}: {n} row(s) reference no row of "
        f"{con.ref_table}{more}",
        details=f"find them with: {finder}",
        exit_code=1,
    )


# --- writing -----------------------------------------------------------------------------

_HISTORY_COLUMNS = (
    "id",
    "applied_at",
    "command",
    "dbinit_version",
    "schema_checksum",
    "statements",
    "changes",
    "outcome",
    "duration_ms",
)


# Triggers (not the internal ones of a foreign key) and rules on the history table.
_HISTORY_HOOKS = """
SELECT 'trigger', tg.tgname::text FROM pg_trigger tg
  WHERE tg.tgrelid = to_regclass(format('%%I.%%I', %s::text, %s::text)) AND NOT tg.tgisinternal
UNION ALL
SELECT 'rule', r.rulename::text FROM pg_rewrite r
  WHERE r.ev_class = to_regclass(format('%%I.%%I', %s::text, %s::text)) AND r.rulename <> '_RETURN'
ORDER BY 1, 2
"""


def _history_ddl(schema: str) -> sql.Composed:
    return sql.SQL(
        "CREATE TABLE IF NOT EXISTS {} ("
        "id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, "
        "applied_at text NOT NULL, command text NOT NULL, dbinit_version text NOT NULL, "
        "schema_checksum text NOT NULL, statements text NOT NULL, changes integer NOT NULL, "
        "outcome text NOT NULL, duration_ms double precision NOT NULL)"
    ).format(sql.Identifier(schema, HISTORY_TABLE))


def _version() -> str:
    from dbinit import __version__

    return __version__


# cannot_coerce, datatype_mismatch: a column's type change that has no cast.
_NO_CAST = ("42846", "42804")


def _data_error(
    exc: psycopg.Error, what: str, applied: list[str], statement: str | None = None
) -> DbInitError | None:
    """A data exception or integrity violation (SQLSTATE classes 22, 23), or a type
    change with no cast, while applying: 3 / DB_005 naming what was applied before
    it (and the statement, when known)."""
    state = sqlstate(exc) or ""
    if state in _NO_CAST:
        text = mask_url((exc.diag.message_primary or str(exc)).strip())
        return DataError(
            f"{what} failed: {text}"
            + (f", in {statement}" if statement else "")
            + ("; applied before it and kept: " + "; ".join(applied) if applied else "")
            + ("" if applied else "; everything was rolled back"),
            details=f"psycopg.errors.{type(exc).__name__} [{state}]: {text}",
        )
    if not state.startswith(("22", "23")):
        return None
    diag = exc.diag
    text = mask_url((diag.message_primary or str(exc)).strip())
    where = (
        f" (table {diag.table_name}, constraint {diag.constraint_name})"
        if diag.table_name and diag.constraint_name
        else f", in {statement}"  # a domain's CHECK, say: the server names no constraint
        if statement
        else ""
    )
    before = (
        f"; applied before it and kept: {'; '.join(applied)}"
        if applied
        else "; everything was rolled back"
    )
    return DataError(
        f"{what} failed: {text}{where}{before}",
        details=f"psycopg.errors.{type(exc).__name__} [{state}]: {text}",
    )


def _rejected(exc: psycopg.Error, statement: str | None, applied: list[str]) -> DbInitError | None:
    """PostgreSQL refused a statement of the plan itself (`rejected_statement`):
    the plan is wrong, a bug of dbinit's, 70 / DB_010 naming the statement and the
    SQLSTATE, and what was applied before it (nothing, in the plan's transaction)."""
    if statement is None or not rejected_statement(exc):
        return None
    state = sqlstate(exc)
    text = mask_url((exc.diag.message_primary or str(exc)).strip())
    before = (
        f"; applied before it and kept: {'; '.join(applied)}"
        if applied
        else "; nothing was applied (the plan's transaction was rolled back)"
    )
    return InternalError(
        f"PostgreSQL rejected a statement dbinit generated: {statement}: {text} "
        f"(SQLSTATE {state}){before}. This is a bug in dbinit's plan: please report it "
        "with this message",
        details=f"psycopg.errors.{type(exc).__name__} [{state}]: {text}",
    )


def _write(
    run: Run, desired: Desired, policy: Policy, before_write: Callable[[Plan], None] | None
) -> Written:
    schema = run.settings.pg_schema
    conn = _connect(run)
    try:
        if conn.info.server_version >= 140000:
            # A backend whose client died (killed mid-statement) ends within a
            # second, instead of finishing a statement nobody will commit.
            conn.execute("SET client_connection_check_interval = '1s'")
        key = advisory_key(current_database(conn), schema)
        with advisory_lock(conn, key, deadline=run.retry.deadline):
            log.info("lock.acquired", key=key)
            live = _read(run, conn)
            kind_conflicts(desired.schema, live)
            plan = _plan(desired.schema, live, policy)
            log.info("diff.recomputed", changes=len(plan.changes))
            if plan.blocked:
                raise refusal(plan, run.command)
            if plan.is_empty():
                return Written(plan, ())
            _cast_checks(conn, plan, desired.schema, live)
            _extension_paths(conn, plan)
            later = _prechecks(run, conn, plan, defer=_added_values(plan))
            if before_write is not None:
                before_write(plan)
            return Written(plan, _apply(run, conn, desired, plan, later))
    finally:
        conn.close()


def _cast_checks(conn: Conn, plan: Plan, desired: Schema, live: Schema) -> None:
    """A column whose type changes needs a cast from the live type to the declared
    one. PostgreSQL's parser says whether there is one (`CAST(NULL::old AS new)`
    reads no table and locks nothing); with none: 3 / DB_005 naming the column,
    before anything is applied (the server would refuse the ALTER anyway)."""
    for change in plan.changes:
        if change.kind is not Kind.COLUMN_CHANGED or change.column is None:
            continue
        want, have = desired.tables.get(change.table), live.tables.get(change.table)
        dc = want.column(change.column) if want is not None else None
        lc = have.column(change.column) if have is not None else None
        if dc is None or lc is None or dc.type == lc.type or dc.using:
            continue  # a `using=` hint says how to convert: its precheck tries it
        text = details = ""
        if _enum_named(live, lc.type) and _enum_named(desired, dc.type):
            # no cast between two enum types (the new one may not exist yet)
            text = f"cannot cast type {lc.type} to {dc.type}"
            details = f"two enum types: {text}"
        else:
            try:
                conn.execute(f"SELECT CAST(NULL::{lc.type} AS {dc.type})".encode())
            except psycopg.Error as exc:
                if sqlstate(exc) not in _NO_CAST:
                    continue  # e.g. a type this plan creates first: applying tells
                text = mask_url((exc.diag.message_primary or str(exc)).strip())
                details = f"psycopg.errors.{type(exc).__name__} [{sqlstate(exc)}]: {text}"
        if text:
            raise DataError(
                f"Column {change.table}.{change.column} cannot change type from {lc.type} "
                f"to {dc.type}: PostgreSQL has no cast between them ({text}); nothing was "
                "applied. Say how to convert on the column's line in the schema file: "
                f"`-- dbinit: using=EXPR`, EXPR computing the new value from {change.column} "
                "(docs/reviewed-changes.md), then run `dbinit repair`; or keep its type",
                details=details,
            )


def _enum_named(schema: Schema, column_type: str) -> bool:
    """Whether `column_type` (as a column prints it) is an enum type of `schema`."""
    return any(
        isinstance(t, EnumType) and printed(name) == column_type for name, t in schema.types.items()
    )


def _extension_paths(conn: Conn, plan: Plan) -> None:
    """An extension the files pin to another version than the live one needs an
    update path on this server (`pg_extension_update_paths`; downgrades rarely
    have one): without one, 3 naming both versions, before anything is applied."""
    for change in plan.changes:
        if change.kind is not Kind.EXTENSION_CHANGED:
            continue
        want, have, facets = change.facts  # compare/extensions.py
        if not any(f.aspect == "version" for f in facets):
            continue
        row = conn.execute(
            "SELECT path FROM pg_extension_update_paths(%s) WHERE source = %s AND target = %s",
            (want.name, have.version, want.pinned),
        ).fetchone()
        if row is None or row[0] is None:
            raise Refused(
                f"Extension {want.name} cannot go from version {have.version} to "
                f"{want.pinned}: this server has no update path between them; nothing was "
                "applied. Declare the installed version (or none), or install the path",
            )


def _added_values(plan: Plan) -> tuple[str, ...]:
    """The enum values this plan adds (its changes' `label_added` facets), as SQL
    literals: what a precheck may name that does not exist before the values are
    committed (`Statement.early`)."""
    out: list[str] = []
    for c in plan.changes:
        if c.kind is Kind.TYPE_CHANGED and any(f.aspect == "label_added" for f in c.facts[2]):
            out += [literal(label) for label, _, _ in enum_additions(c.facts[0], c.facts[1])]
    return tuple(out)


Precheck = tuple[str, str, str]


def _prechecks(run: Run, conn: Conn, plan: Plan, *, defer: tuple[str, ...] = ()) -> list[Precheck]:
    """Each new constraint's violations, counted before anything is applied; the
    refusal names the first of them (`(email)=(a@x.io)`, as PostgreSQL's own key
    errors do). A value a type change cannot convert fails its count query: the
    same refusal, with the server's words for the value. A precheck naming an
    enum value the plan adds (a literal of `defer`) cannot run before that value
    is committed: returned, for `_apply` to run after the early commit."""
    later: list[Precheck] = []
    checks = [check for step in plan.steps for check in step.prechecks]
    for check in checks:
        if any(value in check[1] for value in defer):
            later.append(check)
        else:
            _precheck(run, conn, check, [])
    return later


def _precheck(run: Run, conn: Conn, check: Precheck, kept: list[str]) -> None:
    label, count_query, find_query = check
    outcome = (
        f"; applied before it and kept: {'; '.join(kept)}" if kept else "; nothing was applied"
    )
    row = _retry(
        run,
        partial(_precheck_query, conn, label, count_query, outcome),
        f"precheck {label}",
        conn=conn,
    )
    n = int(row[0]) if row and row[0] is not None else 0
    log.info("precheck.done", check=label, violations=n)
    if n:
        example = _retry(run, partial(_first_row, conn, find_query), f"precheck {label}", conn=conn)
        raise DataError(
            f"{label}: {n} row(s) violate it{example}{outcome}",
            details=f"find them with: {find_query}",
        )


def _precheck_query(conn: Conn, label: str, query: str, outcome: str) -> Any:
    try:
        return _fetch_one(conn, query)
    except (psycopg.errors.DataError, psycopg.errors.CannotCoerce) as exc:
        text = mask_url((exc.diag.message_primary or str(exc)).strip())
        raise DataError(
            f"{label}: {text}{outcome}",
            details=f"psycopg.errors.{type(exc).__name__} [{sqlstate(exc)}]: {text}; "
            f"the rows: {query}",
        ) from None


def _first_row(conn: Conn, query: str) -> str:
    """`, e.g. (a, b)=(1, x)`: the first row `query` finds, values cut short."""
    cur = conn.execute(query.encode())
    row = cur.fetchone()
    if row is None or cur.description is None:
        return ""
    names = [d.name for d in cur.description][:8]
    values = ["NULL" if v is None else str(v) for v in row[:8]]
    values = [v if len(v) <= 60 else v[:57] + "..." for v in values]
    return f", e.g. ({', '.join(names)})=({', '.join(values)})"


def _run_sql(conn: Conn, st: Statement) -> None:
    """One plan statement, one protocol message (never the simple query protocol)."""
    from dbinit.postgres.statements import execute

    execute(conn, st.sql, st.params or None)


def _apply_early(
    run: Run, conn: Conn, desired: Desired, plan: Plan, early: list[Statement], pending: bool
) -> int:
    """The `early` statements (enum values added), committed on their own before
    the prechecks that name them and the plan's transaction, with this run's
    history row (`online_pending` while more is to come)."""
    schema = run.settings.pg_schema
    shown = [s.display() for s in early]
    running: list[str | None] = [None]
    recorded: list[int] = []

    def transaction() -> int:
        try:
            with conn.transaction():
                _timeouts(run, conn, local=True)
                use_search_path(conn, schema, local=True)
                for st in early:
                    running[0] = st.display()
                    _run_sql(conn, st)
                running[0] = None
                recorded.append(
                    _record(run, conn, desired, shown, len(plan.changes), [], pending=pending)
                )
            return recorded[-1]
        except psycopg.Error as exc:
            better = _data_error(exc, "applying the plan", [], running[0]) or _rejected(
                exc, running[0], []
            )
            if better is not None:
                raise better from None
            raise

    try:
        history_id = int(_retry(run, transaction, "the enum values' transaction", conn=conn))
    except KeyboardInterrupt:
        if recorded and _committed(conn, schema, recorded[-1]):
            run.committed = tuple(shown)
        raise
    run.committed = tuple(shown)
    log.info("apply.committed_early", statements=len(early))
    return history_id


def _apply(
    run: Run, conn: Conn, desired: Desired, plan: Plan, later: list[Precheck] | None = None
) -> tuple[str, ...]:
    schema = run.settings.pg_schema
    ident = sql.Identifier(schema)
    early = [s for s in plan.statements if s.early]
    transactional = [s for s in plan.statements if not s.online and not s.early]
    online = [s for s in plan.statements if s.online]
    kept = [s.display() for s in early]
    shown = [s.display() for s in transactional]
    t0 = time.perf_counter()
    running: list[str | None] = [None]  # the statement being run, for error messages
    early_id: int | None = None
    if early:
        # Kept if anything after fails: harmless alone, and the next run converges.
        early_id = _apply_early(run, conn, desired, plan, early, bool(transactional or online))
        try:
            for check in later or ():
                _precheck(run, conn, check, kept)
        except DbInitError:
            _finish(conn, schema, early_id, kept, "failed")
            raise
        if not transactional and not online:
            _settle(conn, schema, early_id, desired.checksum)
            return tuple(kept)

    recorded: list[int] = []

    def transaction() -> int:
        try:
            with conn.transaction():
                _timeouts(run, conn, local=True)
                # CREATE SCHEMA IF NOT EXISTS needs CREATE on the database even when
                # the schema exists, which an application's role often lacks.
                if not conn.execute(
                    "SELECT 1 FROM pg_namespace WHERE nspname = %s", (schema,)
                ).fetchone():
                    conn.execute(sql.SQL("CREATE SCHEMA {}").format(ident))
                # the managed schema, then public (extension types), as the scratch build
                use_search_path(conn, schema, local=True)
                for st in transactional:
                    running[0] = st.display()
                    _run_sql(conn, st)
                running[0] = None
                recorded.append(
                    _record(
                        run,
                        conn,
                        desired,
                        kept + shown,
                        len(plan.changes),
                        online,
                        history_id=early_id,
                    )
                )
            return recorded[-1]
        except psycopg.Error as exc:
            better = _data_error(exc, "applying the plan", kept, running[0]) or _rejected(
                exc, running[0], kept
            )
            if better is not None:
                raise better from None
            raise

    tables = sorted({c.table for c in plan.changes if c.table})
    try:
        history_id = _retry(run, transaction, "the plan's transaction", conn=conn)
    except KeyboardInterrupt:
        # Stopped while COMMIT was under way: its history row says whether it landed.
        if recorded and _committed(conn, schema, recorded[-1], kept + shown):
            run.committed = tuple(kept + shown)
        raise
    except DbInitError as exc:
        if isinstance(exc, DatabaseLocked):
            exc.message += _holders(conn, schema, tables)
        if early_id is not None:
            _finish(conn, schema, early_id, kept, "failed")
            if "applied before it" not in exc.message:
                exc.message += f"; applied before it and kept: {'; '.join(kept)}"
        raise
    run.committed = tuple(kept + shown)
    log.info("apply.committed", statements=len(transactional), ms=_ms(t0))
    ran = kept + shown
    if not online:
        _settle(conn, schema, history_id, desired.checksum)
        return tuple(ran)
    # Online steps block nobody: they have their own limit, not the run's deadline.
    online_started = time.monotonic()
    until = online_started + run.settings.online_timeout
    extend_deadline(conn, until)
    restored: list[bool] = []

    def restore() -> None:
        """Back to the run's own limit, which does not count the online phase."""
        if restored:
            return
        restored.append(True)
        elapsed = time.monotonic() - online_started
        run.retry = replace(run.retry, deadline=run.retry.deadline + elapsed)
        extend_deadline(conn, run.retry.deadline)
        _timeouts_quietly(run, conn)

    try:
        use_search_path(conn, schema, local=False)
        for st in online:

            def one(st: Statement = st) -> None:
                try:
                    _run_sql(conn, st)
                except psycopg.Error as exc:
                    # The clean-up gets its own short bound (the step's may be spent).
                    cleanup = time.monotonic() + run.settings.lock_timeout
                    extend_deadline(conn, max(until, cleanup))
                    with suppress(psycopg.Error):
                        conn.rollback()
                        _timeouts(run, conn, until=cleanup)
                    _undo_online(conn, schema, plan)
                    better = _data_error(exc, st.display(), ran) or _rejected(
                        exc, st.display(), ran
                    )
                    if better is not None:
                        raise better from None
                    raise

            t1 = time.perf_counter()
            try:
                _retry(
                    run, one, f"the online step {st.display()}", conn=conn, until=until, online=True
                )
            except DbInitError as exc:
                if isinstance(exc, DatabaseLocked):
                    exc.message += _holders(conn, schema, tables)
                restore()
                _finish(conn, schema, history_id, ran, "failed")
                if ran and "applied before it" not in exc.message:
                    exc.message += f"; applied before it and kept: {'; '.join(ran)}"
                raise
            ran.append(st.display())
            run.committed = tuple(ran)
            log.info("apply.online", statement=st.display(), ms=_ms(t1))
    finally:
        restore()
    _finish(conn, schema, history_id, ran, "applied")
    _settle(conn, schema, history_id, desired.checksum)
    return tuple(ran)


_HOLDERS = """
SELECT DISTINCT c.relname, a.pid, a.application_name, a.state,
       extract(epoch FROM now() - coalesce(a.xact_start, a.backend_start))::bigint
FROM pg_locks l
JOIN pg_class c ON c.oid = l.relation
JOIN pg_namespace n ON n.oid = c.relnamespace
JOIN pg_stat_activity a ON a.pid = l.pid
WHERE l.granted AND l.locktype = 'relation' AND a.pid <> pg_backend_pid()
  AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
  AND n.nspname = %s AND c.relname = ANY(%s)
ORDER BY 1, 2
LIMIT 5
"""


def _holders(conn: Conn, schema: str, tables: list[str]) -> str:
    """After a lock was not granted: which sessions hold locks on the plan's
    tables (`pg_locks`), for the error message ("" when none is found)."""
    try:
        rows = conn.execute(_HOLDERS, (schema, tables)).fetchall()
    except psycopg.Error:  # the session is gone or out of time: say what we know
        return ""
    held = [
        f'table "{table}" is locked by pid {pid} (application_name "{app or ""}", '
        f"{state or 'state unknown'} for {secs} s)"
        for table, pid, app, state, secs in rows
    ]
    return ("; " + "; ".join(held)) if held else ""


def _committed(
    conn: Conn, schema: str, history_id: int, statements: list[str] | None = None
) -> bool:
    """Whether the transaction that wrote history row `history_id` (with these
    `statements`, when the row existed before it) committed (best effort: False
    when the session cannot tell)."""
    try:
        if conn.closed or conn.info.transaction_status != psycopg.pq.TransactionStatus.IDLE:
            return False
        row = conn.execute(
            sql.SQL(
                "SELECT 1 FROM {} WHERE id = %s AND (%s::text IS NULL OR statements = %s)"
            ).format(sql.Identifier(schema, HISTORY_TABLE)),
            (history_id, *[None if statements is None else json.dumps(statements)] * 2),
        ).fetchone()
    except psycopg.Error:
        return False
    return row is not None


def _timeouts_quietly(run: Run, conn: Conn) -> None:
    with suppress(psycopg.Error):
        if not conn.closed and conn.info.transaction_status == psycopg.pq.TransactionStatus.IDLE:
            _timeouts(run, conn)


def _record(
    run: Run,
    conn: Conn,
    desired: Desired,
    shown: list[str],
    changes: int,
    online: list[Statement],
    *,
    history_id: int | None = None,
    pending: bool = False,
) -> int:
    """This run's history row, in the plan's transaction.

    A trigger or rule on the history table would run inside this transaction,
    where it could change anything: checked here, under the advisory lock and
    right before the INSERT, any such object refuses the run (3) and everything
    is rolled back.
    """
    conn.execute(_history_ddl(run.settings.pg_schema))
    where = (run.settings.pg_schema, HISTORY_TABLE)
    hooks = conn.execute(_HISTORY_HOOKS, where * 2).fetchall()
    if hooks:
        names = ", ".join(f"{kind} {name}" for kind, name in hooks)
        raise Refused(
            f"Cannot record this run in {HISTORY_TABLE} (dbinit's own table): {names} is on it "
            "and would run inside dbinit's transaction; nothing was changed",
            details="drop it: "
            + "; ".join(
                f"DROP {kind.upper()} {_quote(name)} ON {_quote(HISTORY_TABLE)}"
                for kind, name in hooks
            ),
        )
    outcome = "online_pending" if online or pending else "applied"
    if history_id is not None:  # the row of this run's early commit
        conn.execute(
            sql.SQL(
                "UPDATE {} SET statements = %s, outcome = %s, duration_ms = %s WHERE id = %s"
            ).format(sql.Identifier(run.settings.pg_schema, HISTORY_TABLE)),
            (
                json.dumps(shown),
                outcome,
                round((time.monotonic() - run.started) * 1000, 3),
                history_id,
            ),
        )
        return history_id
    row = conn.execute(
        sql.SQL(
            "INSERT INTO {} (applied_at, command, dbinit_version, schema_checksum, statements, "
            "changes, outcome, duration_ms) VALUES (%s, %s, %s, %s, %s, %s, %s, %s) RETURNING id"
        ).format(sql.Identifier(run.settings.pg_schema, HISTORY_TABLE)),
        (
            datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            run.recorded_command,
            _version(),
            desired.checksum,
            json.dumps(shown),
            changes,
            outcome,
            round((time.monotonic() - run.started) * 1000, 3),
        ),
    ).fetchone()
    assert row is not None
    return int(row[0])


def _finish(conn: Conn, schema: str, history_id: int, ran: list[str], outcome: str) -> None:
    """The history row once the online statements ran (or one failed)."""
    try:
        conn.execute(
            sql.SQL("UPDATE {} SET statements = %s, outcome = %s WHERE id = %s").format(
                sql.Identifier(schema, HISTORY_TABLE)
            ),
            (json.dumps(ran), outcome, history_id),
        )
    except psycopg.Error as exc:  # the connection is gone: the row says online_pending
        log.warning("history.not_updated", error=mask_url(str(exc).strip()))


def _settle(conn: Conn, schema: str, history_id: int, checksum: str) -> None:
    """This run applied all of its plan: earlier rows still `online_pending` (a run
    stopped in its online phase) are done now. Those of the same schema files were
    finished by this run (`applied`); those of other files will never be
    (`superseded`: the database now matches newer files)."""
    try:
        conn.execute(
            sql.SQL(
                "UPDATE {} SET outcome = CASE WHEN schema_checksum = %s THEN 'applied'"
                " ELSE 'superseded' END WHERE outcome = 'online_pending' AND id < %s"
            ).format(sql.Identifier(schema, HISTORY_TABLE)),
            (checksum, history_id),
        )
    except psycopg.Error as exc:  # the connection is gone: the next run settles them
        log.warning("history.not_updated", error=mask_url(str(exc).strip()))


def _undo_online(conn: Conn, schema: str, plan: Plan) -> None:
    """After a failed online statement: drop the invalid indexes and NOT VALID
    constraints this plan's changes name (and dbinit's temporary ones), so that a
    retry can build them again and nothing half-done stays. Best effort: the next
    run finds whatever is left as drift."""
    names = {c.name for c in plan.changes} | {c.column or "" for c in plan.changes}
    try:
        conn.rollback()
        rows = conn.execute(
            "SELECT c.relname FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
            "JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = %s AND NOT i.indisvalid",
            (schema,),
        ).fetchall()
        for (name,) in rows:
            if name in names or name.startswith(INTERNAL_PREFIX):
                conn.execute(
                    sql.SQL("DROP INDEX CONCURRENTLY IF EXISTS {}").format(
                        sql.Identifier(schema, name)
                    )
                )
                log.warning("apply.invalid_index_dropped", index=name)
        rows = conn.execute(
            "SELECT t.relname, k.conname FROM pg_constraint k JOIN pg_class t ON t.oid = k.conrelid"
            " JOIN pg_namespace n ON n.oid = t.relnamespace"
            " WHERE n.nspname = %s AND NOT k.convalidated",
            (schema,),
        ).fetchall()
        for table, name in rows:
            if name in names or name.startswith(INTERNAL_PREFIX):
                conn.execute(
                    sql.SQL("ALTER TABLE {} DROP CONSTRAINT IF EXISTS {}").format(
                        sql.Identifier(schema, table), sql.Identifier(name)
                    )
                )
                log.warning("apply.not_valid_constraint_dropped", constraint=name, table=table)
    except psycopg.Error as exc:
        log.warning("apply.undo_failed", error=mask_url(str(exc).strip()))


# --- history -----------------------------------------------------------------------------


def _tampered(what: str) -> DataError:
    return DataError(
        f"{HISTORY_TABLE} is not the history table dbinit writes: {what}. It was changed "
        "outside dbinit: rename or drop it (the next init or repair that applies "
        "something records a new one)",
        exit_code=65,
    )


def _history(run: Run, conn: Conn, limit: int | None) -> list[dict[str, Any]]:
    schema = run.settings.pg_schema
    row = conn.execute(
        "SELECT c.relkind FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE n.nspname = %s AND c.relname = %s",
        (schema, HISTORY_TABLE),
    ).fetchone()
    if row is None:
        return []
    if row[0] != "r":
        raise _tampered("it is not a table")
    cols = sql.SQL(", ").join(sql.Identifier(c) for c in _HISTORY_COLUMNS)
    query = sql.SQL("SELECT {} FROM {} ORDER BY id DESC").format(
        cols, sql.Identifier(schema, HISTORY_TABLE)
    )
    if limit is not None:
        query += sql.SQL(" LIMIT {}").format(sql.Literal(min(limit, 2**63 - 1)))
    try:
        fetched = conn.execute(query).fetchall()
    except psycopg.errors.UndefinedColumn as exc:
        raise _tampered(mask_url((exc.diag.message_primary or str(exc)).strip())) from None
    rows: list[dict[str, Any]] = []
    for values in fetched:
        item = dict(zip(_HISTORY_COLUMNS, values, strict=True))
        try:
            statements = json.loads(str(item["statements"]))
        except (ValueError, RecursionError):  # RecursionError: nested too deep to parse
            statements = None
        if not isinstance(statements, list) or not all(isinstance(s, str) for s in statements):
            raise _tampered(f"the row with id {item['id']} holds statements that are not SQL")
        item["statements"] = statements
        if not isinstance(item["id"], int) or not isinstance(item["changes"], int):
            raise _tampered(f"the row with id {item['id']} holds a value of the wrong type")
        item["duration_ms"] = float(item["duration_ms"])
        rows.append(item)
    return rows


# --- backup ------------------------------------------------------------------------------


def _pg_dump(run: Run, folder: Path, written: Callable[[Path], None]) -> Path:
    """`pg_dump --format=custom` of the database into `folder`; no secret goes on
    its command line (`child_connection`)."""
    exe = shutil.which("pg_dump")
    if exe is None:
        raise ConfigError(
            "--backup-dir asks for a backup, which on PostgreSQL is a pg_dump, and pg_dump "
            "is not installed: install PostgreSQL's client tools, or repair without "
            "--backup-dir (PostgreSQL applies the plan all or nothing)"
        )
    params = {k: v for k, v in conninfo_to_dict(_url(run)).items() if v is not None}
    dbname = str(params.get("dbname") or "postgres")
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise IOFailure(
            f"Cannot create backup folder {folder}: {exc.strerror}", exit_code=73
        ) from None
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    path = folder / f"{dbname}.{stamp}.dump"
    t0 = time.perf_counter()
    timeout = max(1.0, run.retry.remaining())
    try:
        with child_connection(_url(run)) as (dbname_arg, env):
            done = subprocess.run(
                [exe, "--format=custom", f"--file={path}", f"--dbname={dbname_arg}"],
                env=env,
                capture_output=True,
                text=True,
                timeout=timeout,
                check=False,
            )
    except subprocess.TimeoutExpired:
        path.unlink(missing_ok=True)
        raise time_limit(run, "the backup (pg_dump; nothing was changed)") from None
    if done.returncode != 0:
        path.unlink(missing_ok=True)
        first = mask_url((done.stderr.strip().splitlines() or ["failed"])[-1])
        raise IOFailure(f"pg_dump failed: {first}; nothing was changed", exit_code=74)
    written(path)
    log.info("backup.done", path=str(path), ms=_ms(t0))
    return path
