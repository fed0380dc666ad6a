"""The use cases (`check`, `init`, `validate`), shared by the CLI and the library.

Each returns a `Report`; domain failures become the report's `error` with
their contract exit code, so callers never see an exception for them. This
module must not print, parse options, or configure logging.
"""

from __future__ import annotations

import errno
import os
import re
import signal
import sqlite3
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from structlog.contextvars import bound_contextvars

from dbinit.apply import (
    Progress,
    Retry,
    apply_plan,
    backup,
    discard_if_new,
    foreign_key_problem,
    open_read,
    open_write,
    with_retry,
)
from dbinit.desired import AppNames, Desired, build, register_stand_ins
from dbinit.diff import Change, Kind, Safety, diff
from dbinit.errors import (
    ConnectionFailed,
    DataError,
    DbInitError,
    IntegrityFailed,
    InternalError,
    Interrupted,
    IOFailure,
    Refused,
    SchemaError,
    SchemaMissing,
    from_sqlite,
    is_busy,
    mask_url,
)
from dbinit.export import render_sql, schema_files_for, write_schema_files
from dbinit.introspect import HISTORY_TABLE, introspect
from dbinit.logs import log
from dbinit.model import Schema
from dbinit.plan import ON_HISTORY, Mode, Plan, Policy, Step, make_plan
from dbinit.report import APPLIED, DRIFT, IN_SYNC, PLANNED, Report
from dbinit.settings import (
    Settings,
    Target,
    parse_database,
    railway_refusal,
    railway_warnings,
    unknown_variables,
)
from dbinit.sqlfiles import load
from dbinit.sqltext import fold, quote_ident

EVERYTHING = Policy(Mode.REPAIR, allow_data_loss=True, prune=True)


@dataclass
class Run:
    """One command's context: its settings, where the database is, its time budget."""

    command: str
    settings: Settings
    target: Target
    retry: Retry
    started: float

    @property
    def path(self) -> Path:
        return self.target.path


def execute(
    command: str,
    settings: Settings,
    action: Callable[[Run, Report], None],
    *,
    touches_database: bool = True,
    report_interrupts: bool = False,
) -> Report:
    """Run `action` for `command`, turning every failure into the report's error.

    `touches_database` False (`validate --schema-only`): no Railway volume warning.
    A KeyboardInterrupt (Ctrl-C, or the CLI's SIGTERM handler) has rolled
    everything back by the time it arrives here; with `report_interrupts` (the
    CLI) it becomes the report's error, else (the library) it is raised again.
    """
    started = time.monotonic()
    report = Report(command, mask_url(settings.database_url), settings.schema_dir)
    try:
        target = parse_database(settings.database_url)
        report.database = target.url
        run = Run(
            command,
            settings,
            target,
            Retry(
                settings.retry_attempts,
                settings.retry_delay,
                started + settings.initialization_timeout,
            ),
            started,
        )
        with bound_contextvars(command=command, database=target.url):
            for warning in railway_warnings(target.path) if touches_database else []:
                log.warning("railway.ephemeral_database", message=warning)
                report.notes.append(warning)
            for warning in unknown_variables():
                log.warning("settings.unknown_variable", message=warning)
                report.notes.append(warning)
            action(run, report)
    except DbInitError as exc:
        report.fail(exc)
    except KeyboardInterrupt as exc:
        if not report_interrupts:
            raise
        report.fail(interrupted(exc, report))
    except Exception as exc:  # a bug: the only place a traceback is logged
        log.error(
            "internal.error",
            command=command,
            error=mask_url(f"{type(exc).__name__}: {exc}"),
            traceback=mask_url(traceback.format_exc()),
        )
        report.fail(InternalError(f"Internal error: {type(exc).__name__}: {mask_url(str(exc))}"))
    report.duration_ms = (time.monotonic() - started) * 1000
    level = (
        "info" if report.exit_code == 0 else "warning" if report.exit_code in (1, 3) else "error"
    )
    getattr(log, level)(
        "command.done",
        command=command,
        database=report.database,
        status=report.status,
        exit_code=report.exit_code,
        error_code=report.error.error_code if report.error else None,
        message=report.error.message if report.error else None,
        duration_ms=round(report.duration_ms, 3),
    )
    return report


def interrupted(exc: KeyboardInterrupt, report: Report | None = None) -> Interrupted:
    """The error for a run stopped by a signal: exit 128 + the signal's number."""
    signum = int(getattr(exc, "signum", signal.SIGINT))
    name = signal.Signals(signum).name
    if report is not None and report.applied:
        outcome = "the changes were already committed"
    else:
        outcome = "everything was rolled back; nothing was changed"
    return Interrupted(
        f"Interrupted by {name}; {outcome}",
        details=f"stopped by signal {signum} ({name})",
        exit_code=128 + signum,
    )


def load_desired(run: Run, *, lint: bool = True) -> Desired:
    """The declared schema; with `lint`, a lint error is a schema error (65),
    raised before anything touches the database (every writing command)."""
    t0 = time.perf_counter()
    files = load(Path(run.settings.schema_dir), run.settings.schema_dir)
    app = AppNames(run.settings.app_functions, run.settings.app_collations)
    desired = build(files, run.retry.deadline, app)
    if desired.schema.is_empty():
        # Refused on purpose: a mis-pointed folder must not pass as "in sync".
        raise SchemaMissing(
            f"Schema folder {files.folder} declares no objects: its *.sql files hold no "
            "CREATE statement; dbinit refuses an empty schema so that a mis-pointed folder is "
            "never taken for a database with nothing to do (check --schema-dir / "
            "DBINIT_SCHEMA_DIR)"
        )
    log.info(
        "schema.loaded",
        schema_dir=files.folder,
        files=len(files.files),
        objects=desired.schema.object_count(),
        ms=_ms(t0),
    )
    for issue in desired.lint:
        log.warning("schema.lint", issue=str(issue))
    if lint and desired.lint:
        issues = list(desired.lint)
        more = f" (+{len(issues) - 1} more)" if len(issues) > 1 else ""
        raise SchemaError(
            f"{issues[0]}{more}",
            details="; ".join(str(i) for i in issues[1:]) if more else None,
        )
    return desired


def read_live(run: Run) -> tuple[sqlite3.Connection | None, Schema]:
    """The live schema, read-only; an empty schema when the file does not exist."""

    def attempt(until: float) -> tuple[sqlite3.Connection | None, Schema]:
        conn = open_read(run.path, until)
        if conn is None:
            log.info("database.missing", path=str(run.path))
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
        raise from_sqlite(exc, run.path, during="read") from None


def compute(run: Run, desired: Desired, live: Schema, policy: Policy) -> Plan:
    t0 = time.perf_counter()
    changes = diff(desired.schema, live)
    plan = make_plan(changes, desired.schema, live, policy)
    log.info(
        "diff.computed",
        changes=len(changes),
        safe=sum(c.safety is Safety.SAFE for c in changes),
        rebuild=sum(c.safety is Safety.REBUILD for c in changes),
        destructive=sum(c.safety is Safety.DESTRUCTIVE for c in changes),
        ms=_ms(t0),
    )
    return plan


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


def _arm_stand_ins(conn: sqlite3.Connection, app: AppNames, plan: Plan) -> None:
    """Let SQLite create objects that name the application's functions and
    collations, without ever computing a value with a stand-in: a stand-in
    function raises; stand-in collations are registered only when no step can
    compare existing rows (creating tables and their indexes, views, triggers)."""
    for name in app.functions:
        conn.create_function(name, -1, _refuse_call(name), deterministic=True)
    if not app.collations:
        return
    register = _compares_no_rows(plan)
    for name in app.collations:
        if register:
            register_stand_ins(conn, AppNames(collations=(name,)))
        else:
            conn.create_collation(name, None)


def _refuse_call(name: str) -> Callable[..., None]:
    def call(*_args: object) -> None:
        raise RuntimeError(f"{_STAND_IN_USED}: {name}")

    return call


_NO_ROWS = {
    Kind.MISSING_TABLE,
    Kind.MISSING_VIEW,
    Kind.VIEW_CHANGED,
    Kind.EXTRA_VIEW,
    Kind.MISSING_TRIGGER,
    Kind.TRIGGER_CHANGED,
    Kind.EXTRA_TRIGGER,
    Kind.EXTRA_INDEX,
}


def _compares_no_rows(plan: Plan) -> bool:
    new_tables = {fold(c.table) for c in plan.changes if c.kind is Kind.MISSING_TABLE}
    for step in plan.steps:
        if step.rebuild:
            return False
        for c in step.changes:
            if c.kind in _NO_ROWS:
                continue
            if c.kind is Kind.MISSING_INDEX and fold(c.table) in new_tables:
                continue
            return False
    return True


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
    labels = ", ".join(_change_label(c) for step in plan.steps for c in step.changes)
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
    from dbinit.sqltext import unquote

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


# --- check -------------------------------------------------------------------


def check(run: Run, report: Report) -> None:
    desired = load_desired(run, lint=False)
    conn, live = read_live(run)
    _close(conn)
    plan = compute(run, desired, live, EVERYTHING)
    report.changes = list(plan.changes)
    report.plan = [s.display() for s in plan.statements]
    report.status = DRIFT if report.drift else IN_SYNC
    report.exit_code = 1 if report.drift else 0


# --- init --------------------------------------------------------------------


def refusal(plan: Plan, command: str) -> Refused:
    names = ", ".join(_change_label(c) for c in plan.blocked)
    if command == "init":
        return Refused(
            f"init applies only safe changes; {len(plan.blocked)} change(s) need "
            f"`dbinit repair`: {names}"
            + ("" if ON_HISTORY not in plan.blocked_reason else f" ({ON_HISTORY})"),
            details="nothing was changed; run `dbinit repair --dry-run` to see the rebuild plan",
        )
    return Refused(f"{plan.blocked_reason}: {names}", details="nothing was changed")


def _change_label(c: Change) -> str:
    where = f"{c.table}.{c.column}" if c.column else c.name
    return f"{where} ({c.kind.value})"


def init(run: Run, report: Report, *, dry_run: bool = False) -> None:
    desired = load_desired(run)
    railway_refusal(run.path, "init")
    creatable(run.path)
    conn, live = read_live(run)
    _close(conn)
    kind_conflicts(desired.schema, live)
    policy = Policy(Mode.INIT)
    plan = compute(run, desired, live, policy)
    report.changes = list(plan.changes)
    if plan.blocked:
        raise refusal(plan, "init")
    if plan.is_empty():
        report.status, report.exit_code = IN_SYNC, 0
        return
    if dry_run:
        report.plan = [s.display() for s in plan.statements]
        report.status, report.exit_code = PLANNED, 0
        return
    _write(run, report, desired, policy, prior=(live.version, plan))


def _write(
    run: Run,
    report: Report,
    desired: Desired,
    policy: Policy,
    *,
    before_write: Callable[[Plan], None] | None = None,
    progress: Progress | None = None,
    prior: tuple[int | None, Plan] | None = None,
) -> None:
    conn, created = open_write(run.path)
    log.info("database.opened", mode="read-write", created=created is not None)
    app = AppNames(run.settings.app_functions, run.settings.app_collations)
    ran: list[Plan] = []

    def replan(c: sqlite3.Connection) -> Plan:
        plan = _replan(c)
        ran.append(plan)
        _arm_stand_ins(c, app, plan)
        return plan

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
        return compute(run, desired, live, policy)

    history = {
        "command": run.command,
        "version": _version(),
        "checksum": desired.files.checksum,
        "started": run.started,
    }
    try:
        applied = apply_plan(
            conn,
            run.path,
            replan,
            run.retry,
            history,
            rebuild=policy.mode is Mode.REPAIR,
            before_write=before_write,
            progress=progress,
        )
        report.changes = list(applied.plan.changes)
        if applied.plan.blocked:
            raise refusal(applied.plan, run.command)
        if not applied.statements:
            log.info("apply.nothing", reason="already applied by another process")
            report.status, report.exit_code = IN_SYNC, 0
            return
        report.applied = list(applied.statements)
        report.checks["foreign_keys"] = "ok"
        _verify(run, conn, desired, policy)
        report.status, report.exit_code = APPLIED, 0
    except DbInitError as exc:
        better = _explain(exc, conn, app, ran[-1] if ran else None)
        conn.close()
        discard_if_new(run.path, created)
        if better is not None:
            raise better from None
        raise
    except BaseException:
        conn.close()
        discard_if_new(run.path, created)
        raise
    conn.close()


def _verify(run: Run, conn: sqlite3.Connection, desired: Desired, policy: Policy) -> None:
    t0 = time.perf_counter()
    # What the run was to apply must be gone; extras `repair` keeps (no --prune) stay.
    left = [
        c
        for c in diff(desired.schema, introspect(conn))
        if c.safety is Safety.SAFE
        or (policy.mode is Mode.REPAIR and (policy.prune or c.safety is not Safety.DESTRUCTIVE))
    ]
    log.info("verify.done", remaining=len(left), ms=_ms(t0))
    if left:
        raise InternalError(
            "Verification failed after commit: "
            + ", ".join(_change_label(c) for c in left)
            + " still differ"
        )


def _version() -> str:
    from dbinit import __version__

    return __version__


# --- validate ----------------------------------------------------------------


def validate(
    run: Run,
    report: Report,
    *,
    schema_only: bool = False,
    allow_extra: bool | None = None,  # None: the `allow_extra` setting
    integrity: str = "quick",
) -> None:
    desired = load_desired(run)
    if allow_extra is None:
        allow_extra = run.settings.allow_extra
    if schema_only:
        report.status, report.exit_code = IN_SYNC, 0
        return
    conn, live = read_live(run)
    try:
        plan = compute(run, desired, live, EVERYTHING)
        report.changes = list(plan.changes)
        failure: DbInitError | None = None
        if conn is not None:
            failure = _checks(run, conn, report, integrity)
    finally:
        _close(conn)
    drift = report.changes if not allow_extra else report.drift
    if failure is not None:
        raise failure
    report.status = DRIFT if drift else IN_SYNC
    report.exit_code = 1 if drift else 0


def _checks(
    run: Run, conn: sqlite3.Connection, report: Report, integrity: str
) -> DbInitError | None:
    """Integrity and foreign-key checks; a database SQLite finds malformed while
    checking it fails the integrity check (exit 1, DB_006), not the open."""
    failure: DbInitError | None = None
    t0 = time.perf_counter()
    if integrity != "off":
        pragma = "quick_check" if integrity == "quick" else "integrity_check"
        try:
            rows = [str(r[0]) for r in conn.execute(f"PRAGMA {pragma}").fetchall()]
        except sqlite3.DatabaseError as exc:
            if is_busy(exc):
                raise from_sqlite(exc, run.path, during="validate") from None
            rows = [f"{exc}"]
        ok = rows == ["ok"]
        report.checks["integrity"] = "ok" if ok else "failed"
        if not ok:
            more = f" (+{len(rows) - 1} more)" if len(rows) > 1 else ""
            failure = IntegrityFailed(
                f"PRAGMA {pragma} failed: {rows[0]}{more}", details="; ".join(rows[:20])
            )
    try:
        fk_problem = foreign_key_problem(conn, exit_code=1)
    except sqlite3.DatabaseError as exc:
        if failure is None:
            raise from_sqlite(exc, run.path, during="validate") from None
        fk_problem = None  # already failing: the integrity error says why
        report.checks["foreign_keys"] = "skipped"
    else:
        report.checks["foreign_keys"] = "failed" if fk_problem else "ok"
    failure = failure or fk_problem
    log.info("checks.done", **report.checks, ms=_ms(t0))
    return failure


# --- repair ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RepairOptions:
    dry_run: bool = False
    allow_data_loss: bool = False
    prune: bool = False
    yes: bool = False
    backup: bool = True
    backup_dir: str | None = None
    confirm: Callable[[Plan], bool] | None = None  # asks on a TTY; None: no one to ask
    progress: Progress | None = None


def repair(run: Run, report: Report, options: RepairOptions) -> None:
    desired = load_desired(run)
    railway_refusal(run.path, "repair")
    creatable(run.path)
    conn, live = read_live(run)
    _close(conn)
    kind_conflicts(desired.schema, live)
    policy = Policy(Mode.REPAIR, options.allow_data_loss, options.prune)
    plan = compute(run, desired, live, policy)
    report.changes = list(plan.changes)
    if plan.blocked:
        if options.dry_run:  # show what the flags would allow
            report.plan = [s.display() for s in plan.statements]
        raise refusal(plan, "repair")
    if plan.is_empty():
        report.status, report.exit_code = IN_SYNC, 0
        return
    if options.dry_run:
        report.plan = [s.display() for s in plan.statements]
        report.status, report.exit_code = PLANNED, 0
        return
    if not options.yes:
        if options.confirm is None:
            raise Refused(
                "repair changes the database: pass --yes to confirm (no terminal to ask on)",
                details="nothing was changed; `dbinit repair --dry-run` shows the plan",
            )
        if not options.confirm(plan):
            raise Refused("repair cancelled at the prompt; nothing was changed")
    confirmed = [s.display() for s in plan.statements]

    def before_write(current: Plan) -> None:
        if [s.display() for s in current.statements] != confirmed:
            raise Refused(
                "the database changed while repair was starting; nothing was changed",
                details="run `dbinit repair` again to see the new plan",
            )
        if options.backup and run.path.exists() and run.path.stat().st_size > 0:
            if report.backup:  # an earlier attempt lost the lock: back up afresh
                Path(report.backup).unlink(missing_ok=True)
                report.backup = None
            folder = Path(options.backup_dir) if options.backup_dir else None

            def written(path: Path) -> None:
                report.backup = str(path)

            backup(run.path, folder, options.progress, written)

    try:
        _write(
            run,
            report,
            desired,
            policy,
            before_write=before_write,
            progress=options.progress,
            prior=(live.version, plan),
        )
    except IOFailure as exc:
        # Rolled back, but after a disk or I/O failure the backup is kept: it may
        # be the copy the operator trusts most.
        if report.backup:
            exc.message += f"; the backup is kept at {report.backup}"
        raise
    except BaseException:
        # Nothing was changed: a backup of the unchanged file would only be clutter
        # (unless a signal came after the commit: then it is the copy from before).
        if report.backup and not report.applied:
            Path(report.backup).unlink(missing_ok=True)
            report.backup = None
        raise


# --- inspect and history -----------------------------------------------------


def inspect(run: Run, report: Report, *, output_dir: str | None = None) -> None:
    """The live schema as SQL, ready to become `schemas/`."""
    conn, live = read_live(run)
    _close(conn)
    if conn is None:
        raise ConnectionFailed(f"Database {run.path} does not exist; nothing to inspect")
    files = schema_files_for(live)
    report.rows = [
        {"file": name, "objects": [o for o, _ in items], "sql": render_sql([s for _, s in items])}
        for name, items in files.items()
    ]
    if output_dir is not None:
        write_schema_files(Path(output_dir), files)
        report.notes.append(f"wrote {len(files)} file(s) to {output_dir}")
    report.status, report.exit_code = IN_SYNC, 0


def history(run: Run, report: Report, *, limit: int | None = None) -> None:
    """Rows of `_dbinit_history`, newest first (no schema is read).

    A history table dbinit did not write as it is (a view by that name, a missing
    column, a NULL or a value of the wrong type) is a data error, 65 / DB_005: the
    file opened and is sound, but the content dbinit reads is not what it recorded.
    """
    try:
        conn = with_retry(lambda until: open_read(run.path, until), run.retry, "read")
    except sqlite3.Error as exc:
        raise from_sqlite(exc, run.path, during="history") from None
    rows: list[dict[str, object]] = []
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
            raise from_sqlite(exc, run.path, during="history") from None
        finally:
            conn.close()
    report.rows = rows
    report.status, report.exit_code = IN_SYNC, 0


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
        "outside dbinit: rename or drop it (the next init or repair that applies "
        "something records a new one)",
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
    except ValueError:
        return None
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        return None
    return value
