"""The use cases (`check`, `init`, `validate`), shared by the CLI and the library.

Each returns a `Report`; domain failures become the report's `error` with
their contract exit code, so callers never see an exception for them. This
module must not print, parse options, or configure logging.
"""

from __future__ import annotations

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
from dbinit.desired import Desired, build
from dbinit.diff import Change, Safety, diff
from dbinit.errors import (
    ConnectionFailed,
    DbInitError,
    IntegrityFailed,
    InternalError,
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
from dbinit.plan import Mode, Plan, Policy, make_plan
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


def execute(command: str, settings: Settings, action: Callable[[Run, Report], None]) -> Report:
    """Run `action` for `command`, turning every failure into the report's error."""
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
            for warning in railway_warnings(target.path):
                log.warning("railway.ephemeral_database", message=warning)
                report.notes.append(warning)
            for warning in unknown_variables():
                log.warning("settings.unknown_variable", message=warning)
                report.notes.append(warning)
            action(run, report)
    except DbInitError as exc:
        report.fail(exc)
    except KeyboardInterrupt:
        raise
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


def load_desired(run: Run) -> Desired:
    t0 = time.perf_counter()
    files = load(Path(run.settings.schema_dir), run.settings.schema_dir)
    desired = build(files, run.retry.deadline)
    if desired.schema.is_empty():
        raise SchemaMissing(f"Schema folder {files.folder} declares no objects")
    log.info(
        "schema.loaded",
        schema_dir=files.folder,
        files=len(files.files),
        objects=desired.schema.object_count(),
        ms=_ms(t0),
    )
    for issue in desired.lint:
        log.warning("schema.lint", issue=str(issue))
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


# --- check -------------------------------------------------------------------


def check(run: Run, report: Report) -> None:
    desired = load_desired(run)
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
            f"`dbinit repair`: {names}",
            details="nothing was changed; run `dbinit repair --dry-run` to see the rebuild plan",
        )
    return Refused(f"{plan.blocked_reason}: {names}", details="nothing was changed")


def _change_label(c: Change) -> str:
    where = f"{c.table}.{c.column}" if c.column else c.name
    return f"{where} ({c.kind.value})"


def init(run: Run, report: Report, *, dry_run: bool = False) -> None:
    desired = load_desired(run)
    railway_refusal(run.path, "init")
    conn, live = read_live(run)
    _close(conn)
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
    log.info("database.opened", mode="read-write", created=created)

    def replan(c: sqlite3.Connection) -> Plan:
        # Under the lock: an unchanged schema cookie proves the live schema is the
        # one the plan was made from; anything else is introspected afresh.
        if prior is not None and prior[0] is not None:
            (version,) = c.execute("PRAGMA schema_version").fetchone()
            if version == prior[0]:
                log.info("diff.revalidated", schema_version=version)
                return prior[1]
        return compute(run, desired, introspect(c), policy)

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
    except BaseException:
        conn.close()
        discard_if_new(run.path, created)
        raise
    conn.close()


def _verify(run: Run, conn: sqlite3.Connection, desired: Desired, policy: Policy) -> None:
    t0 = time.perf_counter()
    left = [
        c
        for c in diff(desired.schema, introspect(conn))
        if c.safety is Safety.SAFE or policy.mode is Mode.REPAIR
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
    allow_extra: bool = False,
    integrity: str = "quick",
) -> None:
    desired = load_desired(run)
    if desired.lint:
        issues = list(desired.lint)
        more = f" (+{len(issues) - 1} more)" if len(issues) > 1 else ""
        raise SchemaError(
            f"{issues[0]}{more}",
            details="; ".join(str(i) for i in issues[1:]) if more else None,
        )
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
    conn, live = read_live(run)
    _close(conn)
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
            report.backup = str(backup(run.path, folder, options.progress))

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
        # Nothing was changed: a backup of the unchanged file would only be clutter.
        if report.backup:
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
    """Rows of `_dbinit_history`, newest first (no schema is read)."""
    try:
        conn = with_retry(lambda until: open_read(run.path, until), run.retry, "read")
    except sqlite3.Error as exc:
        raise from_sqlite(exc, run.path, during="history") from None
    rows: list[dict[str, object]] = []
    if conn is not None:
        try:
            exists = conn.execute(
                "SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = ?", (HISTORY_TABLE,)
            ).fetchone()
            if exists:
                cur = conn.execute(
                    f"SELECT id, applied_at, command, dbinit_version, schema_checksum, "
                    f"statements, changes, outcome, duration_ms FROM {HISTORY_TABLE} "
                    "ORDER BY id DESC LIMIT ?",
                    (-1 if limit is None else limit,),
                )
                names = [d[0] for d in cur.description]
                for values in cur:
                    row = dict(zip(names, values, strict=True))
                    row["statements"] = _json_list(row["statements"])
                    rows.append(row)
        except sqlite3.Error as exc:
            raise from_sqlite(exc, run.path, during="history") from None
        finally:
            conn.close()
    report.rows = rows
    report.status, report.exit_code = IN_SYNC, 0


def _json_list(text: object) -> list[str]:
    import json

    try:
        value = json.loads(str(text))
    except ValueError:
        return [str(text)]
    return [str(v) for v in value] if isinstance(value, list) else [str(value)]
