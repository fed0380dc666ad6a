"""The use cases (`check`, `init`, `validate`, `repair`, `inspect`, `history`, `copy`),
shared by the CLI and the library, the same for every engine.

Each returns a `Report`; domain failures become the report's `error` with
their contract exit code, so callers never see an exception for them. The
engine (`run.backend`, see `backend.py`) does everything engine-specific;
this module never asks which engine it has. It must not print, parse
options, or configure logging.
"""

from __future__ import annotations

import signal
import time
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

from structlog.contextvars import bound_contextvars

from dbinit.backend import PRE_DEPLOY, START, CopyOptions, Progress, backend_for, copier_for
from dbinit.changes import Kind, Safety
from dbinit.errors import (
    ConfigError,
    ConnectionFailed,
    DbInitError,
    InternalError,
    Interrupted,
    IOFailure,
    Refused,
    SchemaError,
    SchemaMissing,
    Signalled,
    mask_url,
    received_signals,
)
from dbinit.export import write_schema_files
from dbinit.logs import log
from dbinit.plan import Mode, Plan, Policy, change_label, refusal
from dbinit.report import APPLIED, DRIFT, IN_SYNC, PLANNED, WROTE, Deploy, Report
from dbinit.run import Retry, Run
from dbinit.schemafiles import within
from dbinit.settings import (
    Settings,
    ignored_database_url,
    parse_database,
    unknown_variables,
)

EVERYTHING = Policy(Mode.REPAIR, allow_data_loss=True, prune=True)


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
    run: Run | None = None
    try:
        target = parse_database(settings.database_url)
        report.database = target.url
        backend = backend_for(target)
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
            backend,
        )
        with bound_contextvars(command=command, database=target.url):
            for warning in backend.notes(run) if touches_database else []:
                log.warning("railway.ephemeral_database", message=warning)
                report.notes.append(warning)
            for warning in unknown_variables():
                log.warning("settings.unknown_variable", message=warning)
                report.notes.append(warning)
            for warning in ignored_database_url():
                log.warning("settings.database_url_ignored", message=warning)
                report.notes.append(warning)
            for note in settings.notes:
                log.info("settings.url_driver_ignored", message=note)
            action(run, report)
    except DbInitError as exc:
        report.fail(exc)
    except KeyboardInterrupt as exc:
        if not report_interrupts:
            raise
        # An engine that committed before the signal (PostgreSQL's online phase
        # runs after its transaction) says what was committed.
        if run is not None and run.committed is not None and not report.applied:
            report.applied = list(run.committed)
        report.fail(interrupted(exc, report))
    except Exception as exc:  # a bug: the only place a traceback is logged
        if report_interrupts and received_signals:  # the interrupt, wrapped by Python
            if run is not None and run.committed is not None and not report.applied:
                report.applied = list(run.committed)
            report.fail(interrupted(Signalled(received_signals[0]), report))
        else:
            log.error(
                "internal.error",
                command=command,
                error=mask_url(f"{type(exc).__name__}: {exc}"),
                traceback=mask_url(traceback.format_exc()),
            )
            report.fail(
                InternalError(f"Internal error: {type(exc).__name__}: {mask_url(str(exc))}")
            )
    report.duration_ms = (time.monotonic() - started) * 1000
    # Drift (1) is a verdict the report shows, not a warning to repeat above it.
    level = (
        "info" if report.exit_code in (0, 1) else "warning" if report.exit_code == 3 else "error"
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
        outcome = (
            "the changes listed in `applied` were committed before it; the next run verifies "
            "them and applies whatever is still missing"
        )
        if report.backup:
            outcome += f"; the backup from before them is kept at {report.backup}"
    else:
        outcome = "everything was rolled back; nothing was changed"
    return Interrupted(
        f"Interrupted by {name}; {outcome}",
        details=f"stopped by signal {signum} ({name})",
        exit_code=128 + signum,
    )


def load_desired(run: Run, *, lint: bool = True, remembered: bool = True) -> Any:
    """The declared schema; with `lint`, a lint error is a schema error (65),
    raised before anything is written (every writing command). With
    `remembered`, the model a writing run stored for the same files is used
    instead of building it (docs/usage.md, "The desired state is
    remembered"); `validate --schema-only` checks the
    files themselves."""
    t0 = time.perf_counter()
    desired = run.backend.desired(run, remembered=remembered)
    within(run.retry.deadline)  # a load that ran past the time limit stops here (75)
    if desired.schema.is_empty():
        # Refused on purpose: a mis-pointed folder must not pass as "in sync".
        raise SchemaMissing(
            f"Schema folder {desired.folder} declares no objects: its *.sql files hold no "
            "CREATE statement; dbinit refuses an empty schema so that a mis-pointed folder is "
            "never taken for a database with nothing to do (check --schema-dir / "
            "DBINIT_SCHEMA_DIR)"
        )
    log.info(
        "schema.loaded",
        schema_dir=desired.folder,
        files=desired.file_count,
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


def compute(run: Run, desired: Any, live: Any, policy: Policy) -> Plan:
    t0 = time.perf_counter()
    plan = run.backend.plan(desired, live, policy)
    changes = plan.changes
    log.info(
        "diff.computed",
        changes=len(changes),
        safe=sum(c.safety is Safety.SAFE for c in changes),
        rebuild=sum(c.safety is Safety.REBUILD for c in changes),
        destructive=sum(c.safety is Safety.DESTRUCTIVE for c in changes),
        extra=sum(c.extra for c in changes),
        unmanaged=sum(c.unmanaged for c in changes),
        ms=_ms(t0),
    )
    return plan


def _ms(t0: float) -> float:
    return round((time.perf_counter() - t0) * 1000, 3)


def _show_plan(report: Report, plan: Plan) -> None:
    """The plan's SQL in the order it runs: the transaction, then the online
    statements (each on its own, after the transaction commits)."""
    online = [s.display() for s in plan.statements if s.online]
    report.plan = [s.display() for s in plan.statements if not s.online] + online
    report.plan_online = len(online)


# --- check -------------------------------------------------------------------


def check(run: Run, report: Report) -> None:
    desired = load_desired(run, lint=False)
    live = run.backend.read(run)
    plan = compute(run, desired, live, EVERYTHING)
    report.changes = list(plan.changes)
    _show_plan(report, plan)
    report.status = DRIFT if report.drift else IN_SYNC
    report.exit_code = 1 if report.drift else 0


# --- init --------------------------------------------------------------------


def init(run: Run, report: Report, *, dry_run: bool = False, allow_data_loss: bool = False) -> None:
    desired = load_desired(run)
    run.backend.may_write(run)
    live = run.backend.read(run)
    run.backend.conflicts(desired, live)
    policy = Policy(Mode.INIT)
    plan = compute(run, desired, live, policy)
    report.changes = list(plan.changes)
    if (plan.blocked or plan.skipped) and not plan.refused:
        # Rebuild or destructive changes: applied only with an approved plan file.
        from dbinit import planfile

        try:
            ok = planfile.approved(
                run, desired, live, required=bool(plan.blocked), allow_data_loss=allow_data_loss
            )
        except Refused as exc:
            if not plan.blocked:  # an approved plan for kept extras that cannot apply
                raise
            first = refusal(plan, "init")
            first.message += f"; {exc.message}"
            raise first from None
        if ok is not None:
            _apply_approved(run, report, desired, live, ok, dry_run=dry_run)
            return
    if plan.blocked or plan.refused:
        raise refusal(plan, "init")
    if plan.is_empty():
        report.status, report.exit_code = IN_SYNC, 0
        run.backend.remember(run, desired)
        return
    if dry_run:
        _show_plan(report, plan)
        report.status, report.exit_code = PLANNED, 0
        return
    _write(run, report, desired, policy, prior=(live, plan))


def _apply_approved(
    run: Run, report: Report, desired: Any, live: Any, ok: Any, *, dry_run: bool
) -> None:
    """Apply the plan an approved plan file holds; under the lock the plan must
    still be exactly the file's statements."""
    report.changes = list(ok.plan.changes)
    log.info("plan.approved", file=str(ok.file.path), sha256=ok.file.digest)
    if dry_run:
        report.plan = list(ok.statements)
        report.status, report.exit_code = PLANNED, 0
        return

    def before_write(current: Plan) -> None:
        if tuple(s.display() for s in current.statements) != ok.statements:
            raise Refused(
                f"the database changed while init was starting: plan file {ok.file.path} no "
                "longer matches; nothing was changed",
                details="run `dbinit init` again, or regenerate the plan with `dbinit plan`",
            )
        _back_up(run, report, None, None)  # backup before any rebuild, as repair does

    run.plan_file = f"{ok.file.path} {ok.file.digest}"
    with _backup_kept_only_if_needed(report, run):
        _write(run, report, desired, ok.policy, prior=(live, ok.plan), before_write=before_write)
    report.plan_file = {"file": str(ok.file.path), "sha256": ok.file.digest}


def _back_up(run: Run, report: Report, folder: Path | None, progress: Progress | None) -> None:
    """Back the database up under the lock, just before the write (the engine
    decides whether it takes one: SQLite always, PostgreSQL only into a folder)."""
    if report.backup:  # an earlier attempt lost the lock: back up afresh
        Path(report.backup).unlink(missing_ok=True)
        report.backup = None

    def written(path: Path) -> None:
        report.backup = str(path)

    run.backend.backup(run, folder, progress, written)


@contextmanager
def _backup_kept_only_if_needed(report: Report, run: Run) -> Iterator[None]:
    try:
        yield
    except IOFailure as exc:
        # Rolled back, but after a disk or I/O failure the backup is kept: it may
        # be the copy the operator trusts most.
        if report.backup:
            exc.message += f"; the backup is kept at {report.backup}"
        raise
    except BaseException:
        # Nothing was changed: a backup of the unchanged file would only be clutter
        # (unless a signal came after the commit: then it is the copy from before).
        if report.backup and not report.applied and run.committed is None:
            Path(report.backup).unlink(missing_ok=True)
            report.backup = None
        raise


def _write(
    run: Run,
    report: Report,
    desired: Any,
    policy: Policy,
    *,
    prior: tuple[Any, Plan],
    before_write: Callable[[Plan], None] | None = None,
    progress: Progress | None = None,
) -> None:
    try:
        written = run.backend.write(
            run, desired, policy, prior=prior, before_write=before_write, progress=progress
        )
    except BaseException:
        if run.committed is not None:  # stopped after the commit: say what it committed
            report.applied = list(run.committed)
            report.checks["foreign_keys"] = "ok"
        raise
    report.changes = list(written.plan.changes)
    if not written.statements:
        log.info("apply.nothing", reason="already applied by another process")
        report.status, report.exit_code = IN_SYNC, 0
        run.backend.remember(run, desired)
        return
    report.applied = list(written.statements)
    report.checks["foreign_keys"] = "ok"
    run.backend.verify(run, desired, policy)
    report.status, report.exit_code = APPLIED, 0
    run.backend.remember(run, desired)


# --- validate ----------------------------------------------------------------


def validate(
    run: Run,
    report: Report,
    *,
    schema_only: bool = False,
    allow_extra: bool | None = None,  # None: the `allow_extra` setting
    integrity: str = "quick",
    diagram: bool = False,  # with schema_only: describe the declared schema's entities
) -> None:
    desired = load_desired(run, remembered=not schema_only)
    if allow_extra is None:
        allow_extra = run.settings.allow_extra
    if schema_only:
        if diagram:
            report.entities = run.backend.entities(desired)
        report.status, report.exit_code = IN_SYNC, 0
        return
    live, failure = run.backend.read_checked(run, report, integrity)
    plan = compute(run, desired, live, EVERYTHING)
    report.changes = list(plan.changes)
    drift = report.failures(allow_extra=allow_extra)
    if failure is not None:
        raise failure
    report.status = DRIFT if drift else IN_SYNC
    report.exit_code = 1 if drift else 0


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
    run.backend.may_write(run)
    live = run.backend.read(run)
    run.backend.conflicts(desired, live)
    policy = Policy(Mode.REPAIR, options.allow_data_loss, options.prune)
    plan = compute(run, desired, live, policy)
    report.changes = list(plan.changes)
    if plan.refused:
        raise refusal(plan, "repair")
    if plan.blocked:
        if options.dry_run:  # show what the flags would allow
            _show_plan(report, plan)
        raise refusal(plan, "repair")
    if plan.is_empty():
        report.status, report.exit_code = IN_SYNC, 0
        run.backend.remember(run, desired)
        return
    if options.dry_run:
        _show_plan(report, plan)
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
        if options.backup:
            folder = Path(options.backup_dir) if options.backup_dir else None
            _back_up(run, report, folder, options.progress)

    with _backup_kept_only_if_needed(report, run):
        _write(
            run,
            report,
            desired,
            policy,
            before_write=before_write,
            progress=options.progress,
            prior=(live, plan),
        )


# --- inspect and history -----------------------------------------------------


def inspect(
    run: Run, report: Report, *, output_dir: str | None = None, diagram: bool = False
) -> None:
    """The live schema as SQL, ready to become `schemas/`; with `diagram`, also
    its entities (`--format mermaid`)."""
    live = run.backend.read(run)
    if not live.exists:
        raise ConnectionFailed(f"Database {run.target.label} does not exist; nothing to inspect")
    if diagram:
        report.entities = run.backend.entities(live)
    files = run.backend.export(live)
    for note in getattr(live, "notes", ()):  # what the export had to leave out
        log.warning("inspect.left_out", message=note)
        report.notes.append(note)
    report.rows = [
        {"file": name, "objects": objects, "sql": sql} for name, (objects, sql) in files.items()
    ]
    if output_dir is not None:
        write_schema_files(Path(output_dir), {name: sql for name, (_, sql) in files.items()})
        report.notes.append(f"{WROTE}{len(files)} file(s) to {output_dir}")
    report.status, report.exit_code = IN_SYNC, 0


def history(run: Run, report: Report, *, limit: int | None = None) -> None:
    """Rows of the history table, newest first (no schema is read)."""
    report.rows = run.backend.history(run, limit)
    report.status, report.exit_code = IN_SYNC, 0


# --- copy ------------------------------------------------------------------


def copy(run: Run, report: Report, options: CopyOptions) -> None:
    """Copy every declared table's rows from a SQLite file into the target, which
    must already match the schema files (`dbinit init` first): one transaction,
    verified (row counts, checksums) before it commits, or nothing is written."""
    copier = copier_for(run.target)  # an engine that cannot receive rows: 78
    source = _copy_source(options.source)
    desired = load_desired(run)
    run.backend.may_write(run)
    live = run.backend.read(run)
    plan = compute(run, desired, live, EVERYTHING)
    report.changes = list(plan.changes)
    # A sequence behind its column is no mismatch here: copy moves every sequence
    # past the largest value it holds once the rows are in.
    drift = [c for c in report.drift if c.kind is not Kind.SEQUENCE_BEHIND]
    if drift:
        labels = ", ".join(change_label(c) for c in drift[:5])
        more = f" (+{len(drift) - 5} more)" if len(drift) > 5 else ""
        raise Refused(
            f"The target database does not match the schema files ({labels}{more}): run "
            "`dbinit init` first, then copy; nothing was written",
            details="`dbinit check` lists the differences",
        )
    copied = copier.copy(run, desired, live, source, options)
    for note in copied.notes:
        log.warning("copy.left_out", message=note)
        report.notes.append(note)
    report.copied = [
        {"table": t.table, "rows": t.rows, "checksum": t.checksum, "sequences": list(t.sequences)}
        for t in copied.tables
    ]
    report.applied = list(copied.statements)
    report.checks.update(foreign_keys="ok", row_counts="ok", checksums="ok")
    report.status, report.exit_code = APPLIED, 0


def _copy_source(given: str) -> Path:
    """The SQLite file `--from` names (a server URL is 78: only a file is read)."""
    try:
        where = parse_database(given)
    except ConfigError as exc:
        raise ConfigError(f"--from: {exc.message.removeprefix('database: ')}") from None
    if where.path is None:
        raise ConfigError(
            "--from names the SQLite file to copy rows from (sqlite:///app.db or a path); "
            "copying from a database server is not supported"
        )
    if not where.path.exists():  # checked before the schema files are built
        raise ConnectionFailed(
            f"Source database {where.path} does not exist: --from names the SQLite file to "
            "copy rows from",
            exit_code=66,
        )
    return where.path


# --- deploy ------------------------------------------------------------------


def deploy(
    settings: Settings,
    *,
    pre_deploy: bool,
    report_interrupts: bool = False,
    allow_data_loss: bool = False,
) -> Deploy:
    """The deploy steps for where this runs (`pre_deploy`: the platform's
    pre-deploy command, else the start command, before the app).

    The engine says where its database step (`init`, then `validate`) belongs
    (`Backend.database_step`); there it runs, and it runs in the start command
    whatever the engine (a second `init` finds nothing to do). A pre-deploy
    command of an engine whose step belongs in the start command only lints the
    schema files (`validate --schema-only`): volumes are not mounted there.
    Steps stop at the first failure, whose exit code becomes the deploy's.
    """
    started = time.monotonic()
    try:
        where = backend_for(parse_database(settings.database_url)).database_step
    except Exception:  # the first step reports the same failure
        where = START
    result = Deploy(
        "deploy",
        mask_url(settings.database_url),
        settings.schema_dir,
        phase=PRE_DEPLOY if pre_deploy else START,
        database_step=where,
    )
    steps: list[tuple[str, Callable[[Run, Report], None], bool]] = [
        ("init", partial(init, allow_data_loss=allow_data_loss), True),
        ("validate", validate, True),
    ]
    if pre_deploy and where != PRE_DEPLOY:
        steps = [("validate", _lint, False)]
    for command, action, touches_database in steps:
        log.info("deploy.step", command=command, phase=result.phase)
        report = execute(
            command,
            settings,
            action,
            touches_database=touches_database,
            report_interrupts=report_interrupts,
        )
        result.steps.append(report)
        if report.exit_code != 0:
            break
    result.duration_ms = (time.monotonic() - started) * 1000
    return result.finish()


def _lint(run: Run, report: Report) -> None:
    validate(run, report, schema_only=True)
