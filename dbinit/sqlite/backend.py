"""The SQLite engine behind the seam (`dbinit.backend.Backend`).

Everything SQLite-specific that a command needs lives in this package: the
schema files executed into `:memory:` (desired.py), introspection, the diff's
rules (what `ALTER TABLE` can do in place), the 12-step rebuild plans, apply
with `BEGIN IMMEDIATE`, the backup API, the history table. This module ties
them to the neutral command flow in `engine.py`; it never prints, parses
options or configures logging.
"""

from __future__ import annotations

import errno
import os
import re
import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from functools import partial
from pathlib import Path
from typing import Any

from dbinit.backend import START, Backend, Progress, Written
from dbinit.changes import Safety
from dbinit.entities import Entities
from dbinit.errors import (
    DataError,
    DbInitError,
    IntegrityFailed,
    InternalError,
    IOFailure,
    Refused,
)
from dbinit.logs import log
from dbinit.plan import Mode, Plan, Policy, Step, change_label, refusal
from dbinit.report import Report
from dbinit.run import Run
from dbinit.schemafiles import checksum as files_checksum
from dbinit.settings import railway_refusal, railway_warnings
from dbinit.sqlite.apply import (
    apply_plan,
    backup,
    discard_if_new,
    foreign_key_problem,
    open_read,
    open_write,
    with_retry,
)
from dbinit.sqlite.desired import AppNames, Desired, build
from dbinit.sqlite.diff import diff
from dbinit.sqlite.entities import entities
from dbinit.sqlite.errors import from_sqlite, is_busy
from dbinit.sqlite.export import render_sql, schema_files_for
from dbinit.sqlite.introspect import HISTORY_TABLE, introspect
from dbinit.sqlite.model import Schema
from dbinit.sqlite.plan import make_plan
from dbinit.sqlite.sqlfiles import SchemaFiles, load
from dbinit.sqlite.sqltext import fold, quote_ident


@dataclass(frozen=True, slots=True)
class Snapshot:
    """The live schema as read at one moment (empty when the file does not exist)."""

    schema: Schema
    exists: bool

    @property
    def notes(self) -> list[str]:
        """What `inspect` cannot print as schema: user objects on dbinit's history table."""
        on_history = [
            f"{kind} {obj.name}"
            for kind, objects in (("index", self.schema.indexes), ("trigger", self.schema.triggers))
            for obj in objects.values()
            if obj.table == HISTORY_TABLE
        ]
        if not on_history:
            return []
        return [
            f"left out: {', '.join(on_history)} on dbinit's history table {HISTORY_TABLE}; "
            "schema files cannot declare objects on it; `dbinit repair --prune` drops them"
        ]


def _path(run: Run) -> Path:
    path = run.target.path
    assert path is not None, "a SQLite target always names a file"
    return path


def _plan(desired: Schema, live: Schema, policy: Policy) -> Plan:
    return make_plan(diff(desired, live), desired, live, policy)


class SqliteBackend:
    """SQLite through the standard library and sqlite-utils' parsers."""

    # The file lives on a volume mounted only in the start command.
    database_step = START

    def notes(self, run: Run) -> list[str]:
        return railway_warnings(_path(run))

    def desired(self, run: Run, *, remembered: bool = True) -> Desired:
        from dbinit.sqlite import state

        folder = run.settings.schema_dir
        key = ""
        if remembered:
            names, checksum = files_checksum(Path(folder), folder)
            key = state.key(checksum, run.settings.app_functions, run.settings.app_collations)
            found = state.lookup(_path(run), key)
            if found is not None:
                log.info("desired.remembered_used", key=key[:12])
                return Desired(
                    found[0], SchemaFiles(folder, names, (), checksum), found[1], key, True
                )
        files = load(Path(folder), folder, run.retry.deadline)
        app = AppNames(run.settings.app_functions, run.settings.app_collations)
        return replace(build(files, run.retry.deadline, app), key=key)

    def remember(self, run: Run, desired: Desired) -> None:
        """Nothing: an in-sync run writes nothing on SQLite (docs/usage.md); the model
        is recorded in the transaction of a run that applies something."""

    def read(self, run: Run) -> Snapshot:
        conn, schema = read_live(run)
        _close(conn)
        return Snapshot(schema, conn is not None)

    def read_checked(
        self, run: Run, report: Report, integrity: str
    ) -> tuple[Snapshot, DbInitError | None]:
        conn, schema = read_live(run)
        try:
            failure = _checks(run, conn, report, integrity) if conn is not None else None
        finally:
            _close(conn)
        return Snapshot(schema, conn is not None), failure

    def plan(self, desired: Desired, live: Snapshot, policy: Policy) -> Plan:
        return _plan(desired.schema, live.schema, policy)

    def may_write(self, run: Run) -> None:
        railway_refusal(_path(run), run.command)
        creatable(_path(run))

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
        snapshot, plan = prior
        return _write(
            run,
            desired,
            policy,
            before_write=before_write,
            progress=progress,
            prior=(snapshot.schema.version, plan),
        )

    def verify(self, run: Run, desired: Desired, policy: Policy) -> None:
        _verify(run, desired, policy)

    def backup(
        self,
        run: Run,
        folder: Path | None,
        progress: Progress | None,
        written: Callable[[Path], None],
    ) -> Path | None:
        path = _path(run)
        if not (path.exists() and path.stat().st_size > 0):
            return None
        return backup(path, folder, progress, written)

    def export(self, live: Snapshot) -> dict[str, tuple[list[str], str]]:
        return {
            name: ([o for o, _ in items], render_sql([s for _, s in items]))
            for name, items in schema_files_for(live.schema).items()
        }

    def history(self, run: Run, limit: int | None) -> list[dict[str, Any]]:
        return _history(run, limit)

    def fingerprint(self, state: Desired | Snapshot) -> str:
        from dataclasses import replace

        from dbinit.planfile import fingerprint

        return fingerprint(replace(state.schema, version=None, history=None))

    def as_live(self, run: Run, desired: Desired | None) -> Snapshot:
        return Snapshot(desired.schema, True) if desired is not None else Snapshot(Schema(), False)

    def entities(self, state: Desired | Snapshot) -> Entities:
        return entities(state.schema)


BACKEND: Backend[Desired, Snapshot] = SqliteBackend()


def read_live(run: Run) -> tuple[sqlite3.Connection | None, Schema]:
    """The live schema, read-only; an empty schema when the file does not exist."""

    def attempt(until: float) -> tuple[sqlite3.Connection | None, Schema]:
        conn = open_read(_path(run), until)
        if conn is None:
            log.info("database.missing", path=str(_path(run)))
            return None, Schema()
        try:
            t0 = time.perf_counter()
            schema = introspect(conn)
        except BaseException:
            conn.close()
            raise
        log.info("database.opened", mode="read-only", objects=schema.object_count(), ms=_ms(t0))
        return conn, schema

    try:
        return with_retry(attempt, run.retry, "read")
    except sqlite3.Error as exc:
        raise from_sqlite(exc, _path(run), during="read") from None


def _ms(t0: float) -> float:
    return round((time.perf_counter() - t0) * 1000, 3)


def _close(conn: sqlite3.Connection | None) -> None:
    if conn is not None:
        conn.close()


# --- preflight: what dbinit refuses before it writes ---------------------------------


def creatable(path: Path) -> None:
    """A database file name (and its `-journal`/`-wal` companions) must fit the
    filesystem's name limit: SQLite would otherwise fail half way, as if the
    database were unavailable."""
    folder = path.absolute().parent
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    try:
        limit = os.pathconf(folder, "PC_NAME_MAX")
    except (OSError, ValueError):
        limit = 255
    for part in path.parts:
        size = len(os.fsencode(part))
        extra = len("-journal") if part == path.name else 0
        if size + extra > limit:
            shown = part if len(part) <= 40 else part[:37] + "..."
            raise IOFailure(
                f"Cannot create database {path.parent / shown}: file name too long for the "
                f"filesystem ({size} bytes; at most {limit - extra} for a database file, "
                f"which also needs {path.name[:12]}...-journal)"
                if extra
                else f"Cannot create database {path}: folder name {shown} is too long for the "
                f"filesystem ({size} bytes; at most {limit})",
                details=f"OSError: [Errno {errno.ENAMETOOLONG}] {os.strerror(errno.ENAMETOOLONG)}",
                exit_code=73,
            )


_KINDS = ("tables", "indexes", "views")


def kind_conflicts(desired: Schema, live: Schema) -> None:
    """Tables, indexes and views share one namespace: a declared object whose name
    the database gives to an object of another kind is not replaced."""
    for want in _KINDS:
        for key, obj in getattr(desired, want).items():
            for have in _KINDS:
                if have != want and key in getattr(live, have):
                    other = getattr(live, have)[key]
                    raise Refused(
                        f"The database has {_a(have)} named {other.name} where the schema "
                        f"declares {_a(want)} of that name ({obj.loc or 'schema files'}); dbinit "
                        f"does not replace one kind of object with another: rename or drop the "
                        f"{_a(have, article=False)} yourself, or rename the declared one",
                        details="nothing was changed",
                    )


def _a(plural: str, *, article: bool = True) -> str:
    word = {"tables": "table", "indexes": "index", "views": "view"}[plural]
    return f"{'an' if word == 'index' else 'a'} {word}" if article else word


# --- stand-ins for the application's functions and collations while writing ----------

_STAND_IN_USED = "dbinit stand-in used"


def _arm_stand_ins(conn: sqlite3.Connection, app: AppNames) -> set[str]:
    """Let SQLite create objects that name the application's functions and
    collations, without ever computing a value with a stand-in: a stand-in
    function raises; a stand-in collation notes each use in the returned set,
    and a run that used one is refused before its commit (`_stand_in_refusal`)."""
    for name in app.functions:
        conn.create_function(name, -1, _refuse_call(name), deterministic=True)
    return noting_collations(conn, app.collations)


def noting_collations(conn: sqlite3.Connection, names: tuple[str, ...]) -> set[str]:
    """Register stand-ins for the application's collations `names` on `conn`:
    SQLite then parses and keeps the objects that name them (an ALTER TABLE
    re-reads every index and view), and the returned set receives the name of
    each one that was asked to compare two values (whatever it answered is not
    the application's order, so nothing computed after that can be trusted)."""
    used: set[str] = set()
    for name in names:
        conn.create_collation(name, _noting(name, used))
    return used


def _noting(name: str, used: set[str]) -> Callable[[str, str], int]:
    def compare(a: str, b: str) -> int:
        used.add(name)
        return (a > b) - (a < b)

    return compare


def _refuse_call(name: str) -> Callable[..., None]:
    def call(*_args: object) -> None:
        raise RuntimeError(f"{_STAND_IN_USED}: {name}")

    return call


def _stand_in_refusal(plan: Plan, used: set[str]) -> Refused:
    """The refusal of a run that ordered or compared existing rows with a stand-in."""
    labels = ", ".join(change_label(c) for step in plan.steps for c in step.changes)
    return Refused(
        f"dbinit cannot apply {labels}: it needs the application's collation "
        f"{', '.join(sorted(used))} to compute or order existing rows, and dbinit has only a "
        "stand-in for it; create these objects from the application (whose connection "
        "registers it)",
        details="nothing was changed; everything was rolled back",
    )


_APP_NAME = re.compile(
    r"no such (function|collation sequence): (\S+)|user-defined function raised exception"
)


def _explain(
    exc: DbInitError, conn: sqlite3.Connection, app: AppNames, plan: Plan | None
) -> DbInitError | None:
    """A clearer error for a failed apply (everything is rolled back), or None."""
    text = f"{exc.message} {exc.details or ''}"
    if plan is None:
        return None
    if isinstance(exc, DataError) and "JSON" in exc.message:
        return _json_rows(exc, conn, plan)
    m = _APP_NAME.search(text)
    if m is None or not (app.functions or app.collations):
        return None
    name = m.group(2) or ", ".join(app.functions)
    what = "collation" if m.group(1) == "collation sequence" else "function"
    labels = ", ".join(change_label(c) for step in plan.steps for c in step.changes)
    return Refused(
        f"dbinit cannot apply {labels}: it needs the application's {what} {name} to compute "
        "or order existing rows, and dbinit has only a stand-in for it; create these objects "
        "from the application (whose connection registers it)",
        details=f"nothing was changed; {exc.details or exc.message}",
    )


_JSON_ARG = re.compile(r"""\bjson\w*\s*\(\s*("(?:[^"]|"")+"|`[^`]+`|\[[^\]]+\]|\w+)""", re.I)


def _json_rows(exc: DataError, conn: sqlite3.Connection, plan: Plan) -> DataError:
    """Name the table whose rows hold invalid JSON, and a query that finds them."""
    for step in plan.steps:
        for table, column in _json_columns(step):
            finder = (
                f"SELECT rowid, * FROM {quote_ident(table)} "
                f"WHERE json_valid({quote_ident(column)}) = 0"
            )
            try:
                (count,) = conn.execute(
                    finder.replace("SELECT rowid, *", "SELECT count(*)", 1)
                ).fetchone()
            except sqlite3.Error:
                continue
            if count:
                return DataError(
                    f"{step.description} failed: {count} row(s) of {table} hold invalid JSON in "
                    f"{column}; everything was rolled back",
                    details=f"find them with: {finder}",
                )
    return exc


def _json_columns(step: Step) -> list[tuple[str, str]]:
    from dbinit.sqlite.sqltext import unquote

    live = {fold(new): old for new, old in step.columns}
    tables = [c.table for c in step.changes]
    found: list[tuple[str, str]] = []
    for st in step.statements:
        for m in _JSON_ARG.finditer(st.sql):
            column = unquote(m.group(1))
            table = st.copies or (tables[0] if tables else None)
            if table is not None:
                found.append((table, live.get(fold(column), column)))
    return found


def _write(
    run: Run,
    desired: Desired,
    policy: Policy,
    *,
    before_write: Callable[[Plan], None] | None = None,
    progress: Progress | None = None,
    prior: tuple[int | None, Plan] | None = None,
) -> Written:
    path = _path(run)
    conn, created = open_write(path)
    log.info("database.opened", mode="read-write", created=created is not None)
    app = AppNames(run.settings.app_functions, run.settings.app_collations)
    ran: list[Plan] = []

    used = _arm_stand_ins(conn, app)

    def replan(c: sqlite3.Connection) -> Plan:
        plan = _replan(c)
        ran.append(plan)
        used.clear()  # a comparison made while planning computed nothing
        return plan

    def before_commit(plan: Plan) -> None:
        if used:
            raise _stand_in_refusal(plan, used)

    def _replan(c: sqlite3.Connection) -> Plan:
        # Under the lock: an unchanged schema cookie proves the live schema is the
        # one the plan was made from; anything else is introspected afresh.
        if prior is not None and prior[0] is not None:
            (version,) = c.execute("PRAGMA schema_version").fetchone()
            if version == prior[0]:
                log.info("diff.revalidated", schema_version=version)
                return prior[1]
        live = introspect(c)
        kind_conflicts(desired.schema, live)
        plan = _plan(desired.schema, live, policy)
        log.info("diff.recomputed", changes=len(plan.changes))
        return plan

    history = {
        "command": run.recorded_command,
        "version": _version(),
        "checksum": desired.files.checksum,
        "started": run.started,
        "remember": _remembering(desired),
    }
    try:
        applied = apply_plan(
            conn,
            path,
            replan,
            run.retry,
            history,
            rebuild=policy.mode is Mode.REPAIR,
            before_write=before_write,
            progress=progress,
            on_commit=partial(setattr, run, "committed"),
            before_commit=before_commit,
        )
        if applied.plan.blocked:
            raise refusal(applied.plan, run.command)
    except DbInitError as exc:
        better: DbInitError | None
        if used and ran and run.committed is None:  # what failed was computed with a stand-in
            better = _stand_in_refusal(ran[-1], used)
        else:
            better = _explain(exc, conn, app, ran[-1] if ran else None)
        conn.close()
        discard_if_new(path, created)
        if better is not None:
            raise better from None
        raise
    except BaseException:
        conn.close()
        if run.committed is None:  # a file created for a commit that happened is kept
            discard_if_new(path, created)
        raise
    conn.close()
    return Written(applied.plan, applied.statements)


def _remembering(desired: Desired) -> Callable[[sqlite3.Connection], None] | None:
    """What records `desired` in the apply transaction (None: nothing to record)."""
    from dbinit.sqlite import state

    if not desired.key or desired.remembered:
        return None
    text = state.encode(desired.schema, desired.lint)  # before the lock

    def record(conn: sqlite3.Connection) -> None:
        state.record(conn, desired.key, text)

    return record


def _verify(run: Run, desired: Desired, policy: Policy) -> None:
    conn, live = read_live(run)
    _close(conn)
    t0 = time.perf_counter()
    # What the run was to apply must be gone; extras `repair` keeps (no --prune) stay.
    left = [
        c
        for c in diff(desired.schema, live)
        if c.safety is Safety.SAFE
        or (policy.mode is Mode.REPAIR and (policy.prune or c.safety is not Safety.DESTRUCTIVE))
    ]
    log.info("verify.done", remaining=len(left), ms=_ms(t0))
    if left:
        raise InternalError(
            "Verification failed after commit: "
            + ", ".join(change_label(c) for c in left)
            + " still differ"
        )


def _version() -> str:
    from dbinit import __version__

    return __version__


def _checks(
    run: Run, conn: sqlite3.Connection, report: Report, integrity: str
) -> DbInitError | None:
    """Integrity and foreign-key checks; a database SQLite finds malformed while
    checking it fails the integrity check (exit 1, DB_006), not the open.

    With the application's collations (`app_collations`) stand-ins are
    registered: a check that never compared with one holds; otherwise each
    table is checked on its own and the tables whose check needs the
    application's order are left out (said in a note), after a check of the
    whole file's structure and NOT NULL columns that compares nothing."""
    failure: DbInitError | None = None
    t0 = time.perf_counter()
    used = noting_collations(conn, run.settings.app_collations)
    unchecked: set[str] = set()
    if integrity != "off":
        pragma = "quick_check" if integrity == "quick" else "integrity_check"
        try:
            rows, left_out = _integrity_rows(conn, pragma, used)
        except sqlite3.DatabaseError as exc:
            if is_busy(exc):
                raise from_sqlite(exc, _path(run), during="validate") from None
            rows, left_out = [f"{exc}"], []
        unchecked.update(left_out)
        ok = rows == ["ok"]
        report.checks["integrity"] = "ok" if ok else "failed"
        if not ok:
            more = f" (+{len(rows) - 1} more)" if len(rows) > 1 else ""
            failure = IntegrityFailed(
                f"PRAGMA {pragma} failed: {rows[0]}{more}", details="; ".join(rows[:20])
            )
    try:
        used.clear()
        fk_problem = foreign_key_problem(conn, exit_code=1)
        if used:  # compared with a stand-in: only the tables that need no collation
            tables, left_out = _without_stand_ins(conn, used, "foreign_key_check")
            unchecked.update(left_out)
            fk_problem = foreign_key_problem(conn, tables=tuple(tables), exit_code=1)
    except sqlite3.DatabaseError as exc:
        if failure is None:
            raise from_sqlite(exc, _path(run), during="validate") from None
        fk_problem = None  # already failing: the integrity error says why
        report.checks["foreign_keys"] = "skipped"
    else:
        report.checks["foreign_keys"] = "failed" if fk_problem else "ok"
    failure = failure or fk_problem
    if unchecked:
        names = ", ".join(sorted(unchecked))
        collations = ", ".join(run.settings.app_collations)
        log.warning("checks.partial", tables=sorted(unchecked), app_collations=collations)
        report.notes.append(
            f"not fully checked (their check needs the application's collation {collations}, "
            f"and dbinit has only a stand-in): {names}"
        )
    log.info("checks.done", **report.checks, ms=_ms(t0))
    return failure


def _integrity_rows(
    conn: sqlite3.Connection, pragma: str, used: set[str]
) -> tuple[list[str], list[str]]:
    """`PRAGMA quick_check` or `integrity_check`'s rows, and the tables left out
    because checking them compared values with a stand-in collation (`used`)."""
    used.clear()
    rows = [str(r[0]) for r in conn.execute(f"PRAGMA {pragma}").fetchall()]
    if not used:
        return rows, []
    # The whole file's pages, free list and NOT NULL columns: no CHECK constraint
    # (it may compare with the collation), no index looked up.
    used.clear()
    conn.execute("PRAGMA ignore_check_constraints = ON")
    try:
        rows = [str(r[0]) for r in conn.execute("PRAGMA quick_check").fetchall()]
    finally:
        conn.execute("PRAGMA ignore_check_constraints = OFF")
    if used:
        rows = []
    _, left_out = _without_stand_ins(conn, used, pragma, rows)
    found = list(dict.fromkeys(r for r in rows if r != "ok"))  # a table's rows come twice
    return found or ["ok"], left_out


def _without_stand_ins(
    conn: sqlite3.Connection, used: set[str], pragma: str, rows: list[str] | None = None
) -> tuple[list[str], list[str]]:
    """Run `PRAGMA pragma(table)` table by table: the tables whose check
    compared nothing with a stand-in collation, and those left out. The rows of
    the first are appended to `rows` (when given)."""
    checked: list[str] = []
    left_out: list[str] = []
    names = [
        str(r[0])
        for r in conn.execute("SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name")
    ]
    for name in names:
        used.clear()
        found = [str(r[0]) for r in conn.execute(f"PRAGMA {pragma}({quote_ident(name)})")]
        if used:
            left_out.append(name)
            continue
        checked.append(name)
        if rows is not None:
            rows.extend(found)
    used.clear()
    return checked, left_out


def _history(run: Run, limit: int | None) -> list[dict[str, Any]]:
    """Rows of `_dbinit_history`, newest first (no schema is read).

    A history table dbinit did not write as it is (a view by that name, a missing
    column, a NULL or a value of the wrong type) is a data error, 65 / DB_005: the
    file opened and is sound, but the content dbinit reads is not what it recorded.
    """
    try:
        conn = with_retry(lambda until: open_read(_path(run), until), run.retry, "read")
    except sqlite3.Error as exc:
        raise from_sqlite(exc, _path(run), during="history") from None
    rows: list[dict[str, Any]] = []
    if conn is not None:
        try:
            found = conn.execute(
                "SELECT type FROM sqlite_schema WHERE type IN ('table', 'view') "
                "AND name = ? COLLATE NOCASE",
                (HISTORY_TABLE,),
            ).fetchone()
            if found:
                rows = _history_rows(conn, str(found[0]), limit)
        except sqlite3.Error as exc:
            raise from_sqlite(exc, _path(run), during="history") from None
        finally:
            conn.close()
    return rows


# Each column of the history table and the values dbinit writes into it.
_HISTORY_VALUES: dict[str, tuple[type, ...]] = {
    "id": (int,),
    "applied_at": (str,),
    "command": (str,),
    "dbinit_version": (str,),
    "schema_checksum": (str,),
    "statements": (str,),
    "changes": (int,),
    "outcome": (str,),
    "duration_ms": (float, int),
}
_STORAGE = {int: "INTEGER", float: "REAL", str: "TEXT", bytes: "BLOB", type(None): "NULL"}
_MAX_LIMIT = 2**63 - 1  # SQLite's largest integer


def _tampered(what: str) -> DataError:
    return DataError(
        f"{HISTORY_TABLE} is not the history table dbinit writes: {what}. It was changed "
        "outside dbinit: rename or drop it; once it is gone, the next init or repair "
        "that applies something records a new one",
        exit_code=65,
    )


def _history_rows(
    conn: sqlite3.Connection, kind: str, limit: int | None
) -> list[dict[str, object]]:
    if kind != "table":
        raise _tampered(f"it is a {kind}")
    present = {str(r[1]).lower() for r in conn.execute(f"PRAGMA table_xinfo({HISTORY_TABLE})")}
    missing = [name for name in _HISTORY_VALUES if name not in present]
    if missing:
        raise _tampered(f"column{'s' if len(missing) > 1 else ''} {', '.join(missing)} missing")
    cur = conn.execute(
        f"SELECT {', '.join(_HISTORY_VALUES)} FROM {HISTORY_TABLE} ORDER BY id DESC LIMIT ?",
        (-1 if limit is None else min(limit, _MAX_LIMIT),),
    )
    rows: list[dict[str, object]] = []
    for values in cur:
        row = dict(zip(_HISTORY_VALUES, values, strict=True))
        which = f"the row with id {row['id']}" if isinstance(row["id"], int) else "a row"
        for name, value in row.items():
            if not isinstance(value, _HISTORY_VALUES[name]):
                expected = " or ".join(_STORAGE[t] for t in _HISTORY_VALUES[name])
                got = _STORAGE.get(type(value), type(value).__name__)
                raise _tampered(f"{which} holds {got} in {name}, not {expected}")
        statements = _json_list(row["statements"])
        if statements is None:
            raise _tampered(f"{which} holds statements that are not a JSON list of SQL texts")
        row["statements"] = statements
        rows.append(row)
    return rows


def _json_list(text: object) -> list[str] | None:
    """A JSON list of strings, or None when `text` is not one."""
    import json

    try:
        value = json.loads(str(text))
    except (ValueError, RecursionError):  # RecursionError: nested deeper than json recurses
        return None
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        return None
    return value
