"""The Typer app: options → settings overrides → one engine call → render → exit code.

Thin on purpose. Common options work before and after the command name; only
options the user actually gave are passed on, so environment, `.env` and
`pyproject.toml` still apply underneath. Heavy modules are imported inside
the commands, so `dbinit --version` stays instant.
"""

from __future__ import annotations

import errno
import inspect as pyinspect
import os
import signal
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated, Any

import typer
from typer.core import TyperCommand, TyperGroup

from dbinit import entry
from dbinit.entry import option_value
from dbinit.errors import received_signals

if TYPE_CHECKING:
    from dbinit.report import Report
    from dbinit.run import Run
    from dbinit.settings import Settings

FORMATS = ("text", "json")
MERMAID = "mermaid"  # a diagram: `inspect` and `validate --schema-only` only
MARKDOWN = "markdown"  # a pull-request comment: `plan` only
NO_DIAGRAM = (
    "mermaid draws a schema: use it with `dbinit inspect` (the database) or "
    "`dbinit validate --schema-only` (the schema files)"
)


class _Command(TyperCommand):
    """A command whose `--help` flag shows no `<bool>` placeholder."""

    def get_help_option(self, ctx: Any) -> Any:
        option = super().get_help_option(ctx)
        if option is not None:
            option.metavar = ""
        return option

    def format_help(self, ctx: Any, formatter: Any) -> None:
        _stdout_open()
        super().format_help(ctx, formatter)


class _Group(TyperGroup):
    """The root: one rule for usage errors (a bad option, value or command on the
    command line): exit 2, and a JSON error document on stdout when JSON was asked
    for (`--format json` on the command line, else `DBINIT_FORMAT=json`)."""

    _argv: tuple[str, ...] = ()

    def get_help_option(self, ctx: Any) -> Any:
        option = super().get_help_option(ctx)
        if option is not None:
            option.metavar = ""
        return option

    def make_context(self, info_name: Any, args: list[str], *a: Any, **kw: Any) -> Any:
        self._argv = tuple(args)
        try:
            return super().make_context(info_name, args, *a, **kw)
        except typer._click.exceptions.UsageError as exc:
            _usage_error(exc, self._argv)
            raise
        except BaseException as exc:
            _outside_a_command(exc)
            raise

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except typer._click.exceptions.UsageError as exc:
            _usage_error(exc, self._argv)
            raise
        except BaseException as exc:
            _outside_a_command(exc)
            raise

    def format_help(self, ctx: Any, formatter: Any) -> None:
        _stdout_open()
        super().format_help(ctx, formatter)


def _stdout_open() -> None:
    if sys.stdout is None:  # fd 1 was closed when the process started
        raise OSError(errno.EBADF, "standard output is closed")


def _outside_a_command(exc: BaseException) -> None:
    """Failures that no command's report covers (`--help`, `--version`, a signal
    before a command started). A signal: the interrupt (128 + its number). Output
    that cannot be written: 74, never Typer's 1 (a closed pipe) or a traceback.
    rich reports a closed pipe as SystemExit(1); nothing else here exits 1 that way.
    """
    if isinstance(exc, KeyboardInterrupt) or (received_signals and isinstance(exc, Exception)):
        entry.stop(exc)  # the latter: a signal met while a module loaded, re-raised wrapped
    if isinstance(exc, OSError) or (isinstance(exc, SystemExit) and exc.code == 1):
        from dbinit.logs import discard

        discard(sys.stdout)
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else "broken pipe"
        entry.say(f"dbinit: cannot write to standard output: {reason}\n")
        raise SystemExit(74) from None


def _usage_error(exc: Exception, argv: tuple[str, ...]) -> None:
    """Print `exc` as the JSON report and exit 2 when JSON was asked for; else
    return, and Typer prints its usual usage message (also exit 2)."""
    if isinstance(exc, typer._click.exceptions.NoArgsIsHelpError):
        return
    fmt = option_value(argv, "--format", "-f")
    if fmt is None or fmt.strip().lower() not in (*FORMATS, MERMAID, MARKDOWN):
        fmt = os.environ.get("DBINIT_FORMAT")
    if (fmt or "").strip().lower() != "json":
        _show_usage(exc)
        raise typer.Exit(2)
    from dbinit.errors import ConfigError, mask_url
    from dbinit.render import render
    from dbinit.report import Report

    command = next((a for a in argv if a in _COMMANDS), "")
    database = option_value(argv, "--database", "-d") or ""
    schema_dir = option_value(argv, "--schema-dir", "-s") or ""
    report = Report(command, mask_url(database), schema_dir)
    message = exc.format_message() if isinstance(exc, typer._click.ClickException) else str(exc)
    report.fail(ConfigError(f"usage: {message}", exit_code=2))
    entry.reported = True
    try:
        _stdout_open()
        render(report, "json")
    except OSError:  # still a usage error: its code says so
        from dbinit.logs import discard

        discard(sys.stdout)
    raise typer.Exit(2)


def _show_usage(exc: Exception) -> None:
    """Typer's usage message on stderr; one that cannot be written (stderr closed
    or full) leaves the exit code a usage error's, 2."""
    from typer import core

    try:
        if core.HAS_RICH:
            from typer import rich_utils

            rich_utils.rich_format_error(exc)  # type: ignore[arg-type]
        elif isinstance(exc, typer._click.ClickException):
            exc.show()
    except (OSError, SystemExit):
        from dbinit.logs import discard

        discard(sys.stderr)


def _choice(*allowed: str) -> Callable[[str], str]:
    """A parser accepting one of `allowed` in any case (a usage error otherwise)."""

    def parse(value: str) -> str:
        folded = str(value).strip().lower()
        if folded not in allowed:
            raise typer.BadParameter(f"{value!r} is not one of {', '.join(allowed)}")
        return folded

    return parse


def _pg_schema(value: str) -> str:
    from dbinit.settings import check_pg_schema

    try:
        check_pg_schema(value)
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from None
    return value


def _seconds(value: str) -> float:
    try:
        seconds = float(value)
    except ValueError:
        raise typer.BadParameter(f"{value!r} is not a number of seconds") from None
    if not 0 < seconds <= 86400:
        raise typer.BadParameter(f"{value!r} is not between 0 (excluded) and 86400 seconds")
    return seconds


app = typer.Typer(
    name="dbinit",
    cls=_Group,
    help="Make a SQLite or PostgreSQL database match the schema declared in schemas/*.sql, safely.",
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)

Database = Annotated[
    str | None,
    typer.Option(
        "--database",
        "-d",
        metavar="URL",
        show_default="sqlite:///app.db",
        help="Database URL (sqlite:///app.db, sqlite:////abs/app.db, postgresql://…) or file path.",
    ),
]
SchemaDir = Annotated[
    str | None,
    typer.Option(
        "--schema-dir", "-s", metavar="DIR", show_default="schemas", help="Folder of *.sql files."
    ),
]
Format = Annotated[
    str | None,
    typer.Option(
        "--format",
        "-f",
        metavar="text|json|mermaid|markdown",
        parser=_choice(*FORMATS, MERMAID, MARKDOWN),
        show_default="text",
        help="Report format on stdout (mermaid: an erDiagram, for inspect and "
        "validate --schema-only; markdown: a pull-request comment, for plan).",
    ),
]
LogFormat = Annotated[
    str | None,
    typer.Option(
        "--log-format",
        metavar="auto|console|json",
        parser=_choice("auto", "console", "json"),
        show_default="auto",
        help="Log format on stderr (auto: console on a terminal, JSON lines otherwise).",
    ),
]
LogLevel = Annotated[
    str | None,
    typer.Option(
        "--log-level",
        metavar="LEVEL",
        parser=_choice("debug", "info", "warning", "error", "critical"),
        show_default="info; warning for console logs on a terminal",
        help="debug, info, warning, error or critical.",
    ),
]
Timeout = Annotated[
    float | None,
    typer.Option(
        "--timeout",
        metavar="SECONDS",
        parser=_seconds,
        show_default="30",
        help="Overall time limit, lock waits included.",
    ),
]
Quiet = Annotated[
    bool,
    typer.Option(
        "--quiet",
        "-q",
        metavar="",
        help="No logs; the report shows only the verdict, drift and errors.",
    ),
]
PgSchema = Annotated[
    str | None,
    typer.Option(
        "--pg-schema",
        metavar="NAME",
        parser=_pg_schema,
        show_default="public",
        help="PostgreSQL: the schema dbinit manages.",
    ),
]
LockTimeout = Annotated[
    float | None,
    typer.Option(
        "--lock-timeout",
        metavar="SECONDS",
        parser=_seconds,
        show_default="5",
        help="PostgreSQL: lock_timeout of every statement (retried within --timeout).",
    ),
]
OnlineTimeout = Annotated[
    float | None,
    typer.Option(
        "--online-timeout",
        metavar="SECONDS",
        parser=_seconds,
        show_default="3600",
        help="PostgreSQL: limit of each online step (CREATE INDEX CONCURRENTLY, VALIDATE "
        "CONSTRAINT); they block nobody, so --timeout does not cut them.",
    ),
]


def _online(given: dict[str, Any], online_timeout: float | None) -> dict[str, Any]:
    if online_timeout is not None:
        given["online_timeout"] = online_timeout
    return given


DevUrl = Annotated[
    str | None,
    typer.Option(
        "--dev-url",
        metavar="URL",
        show_default="a throw-away database on the target's server",
        help="PostgreSQL: a disposable, empty database to run the schema files in.",
    ),
]
AllowExtra = Annotated[
    bool | None,
    typer.Option(
        "--allow-extra/--no-allow-extra",
        metavar="",
        show_default="the allow_extra setting (DBINIT_ALLOW_EXTRA), else no",
        help="Do not fail on objects the files do not declare (deploy: in its validate step).",
    ),
]
AllowDataLoss = Annotated[
    bool,
    typer.Option(
        "--allow-data-loss",
        metavar="",
        help="Apply an approved plan file that loses rows or values even though its "
        "header does not say allow-data-loss: yes.",
    ),
]
DryRun = Annotated[
    bool, typer.Option("--dry-run", metavar="", help="Print the plan; change nothing.")
]


def _common(
    ctx: typer.Context,
    database: str | None,
    schema_dir: str | None,
    fmt: str | None,
    log_format: str | None,
    log_level: str | None,
    timeout: float | None,
    quiet: bool,
    pg_schema: str | None = None,
    lock_timeout: float | None = None,
    dev_url: str | None = None,
) -> dict[str, Any]:
    """Options given after the command override those given before it."""
    given = dict((ctx.obj or {}) if isinstance(ctx.obj, dict) else {})
    for key, value in (
        ("database_url", database),
        ("schema_dir", schema_dir),
        ("format", fmt),
        ("log_format", log_format),
        ("log_level", log_level),
        ("initialization_timeout", timeout),
        ("pg_schema", pg_schema),
        ("lock_timeout", lock_timeout),
        ("dev_url", dev_url),
    ):
        if value is not None:
            given[key] = value
    if quiet:
        given["quiet"] = True
    return given


_COMMON: dict[str, tuple[Any, Any]] = {
    "database": (Database, None),
    "schema_dir": (SchemaDir, None),
    "fmt": (Format, None),
    "log_format": (LogFormat, None),
    "log_level": (LogLevel, None),
    "timeout": (Timeout, None),
    "quiet": (Quiet, False),
    "pg_schema": (PgSchema, None),
    "lock_timeout": (LockTimeout, None),
    "dev_url": (DevUrl, None),
}


def command(fn: Callable[..., None]) -> Callable[..., None]:
    """Register `fn(given, **own_options)` as a command that also takes every
    common option after its name; `given` holds the options the user set."""
    own = list(pyinspect.signature(fn, eval_str=True).parameters.values())[1:]

    def wrapper(ctx: typer.Context, **options: Any) -> None:
        common = {name: options.pop(name) for name in _COMMON}
        fn(_common(ctx, **common), **options)

    Param = pyinspect.Parameter
    kind = Param.POSITIONAL_OR_KEYWORD
    params = [Param("ctx", kind, annotation=typer.Context)]
    params += [Param(n, kind, default=d, annotation=a) for n, (a, d) in _COMMON.items()]
    wrapper.__name__, wrapper.__qualname__ = fn.__name__, fn.__qualname__
    wrapper.__doc__ = fn.__doc__
    setattr(wrapper, "__signature__", pyinspect.Signature([*params, *own]))  # noqa: B010
    _COMMANDS.add(fn.__name__)
    return app.command(name=fn.__name__, cls=_Command)(wrapper)


_COMMANDS: set[str] = set()


def _version(value: bool) -> None:
    if value:
        from dbinit import __version__

        _stdout_open()
        sys.stdout.write(f"dbinit {__version__}\n")
        sys.stdout.flush()
        raise typer.Exit(0)


@app.callback()
def root(
    ctx: typer.Context,
    database: Database = None,
    schema_dir: SchemaDir = None,
    fmt: Format = None,
    log_format: LogFormat = None,
    log_level: LogLevel = None,
    timeout: Timeout = None,
    quiet: Quiet = False,
    pg_schema: PgSchema = None,
    lock_timeout: LockTimeout = None,
    dev_url: DevUrl = None,
    version: Annotated[
        bool,
        typer.Option(
            "--version",
            callback=_version,
            is_eager=True,
            metavar="",
            help="Print the version and exit.",
        ),
    ] = False,
) -> None:
    """Make a SQLite or PostgreSQL database match the schema declared in schemas/*.sql, safely.

    Exit codes: 0 in sync or applied, 1 drift, 2 usage, 3 refused, 65 schema
    files invalid, 66 schema folder missing, 69 database unavailable, 70
    internal error, 73 cannot create, 74 I/O error, 75 locked, 77 permission
    denied, 78 configuration error, 130 interrupted (SIGINT, Ctrl-C), 143
    stopped (SIGTERM); an interrupted run rolls everything back.
    """
    ctx.obj = _common(
        ctx,
        database,
        schema_dir,
        fmt,
        log_format,
        log_level,
        timeout,
        quiet,
        pg_schema,
        lock_timeout,
        dev_url,
    )


def _run(
    command: str,
    given: dict[str, Any],
    action: Callable[[Run, Report], None] | None,
    *,
    show_sql: bool = False,
    touches_database: bool = True,
    shown: dict[str, bool] | None = None,
    no_diagram: str | None = NO_DIAGRAM,
    runner: Callable[[Settings], Report] | None = None,
    report_type: type[Report] | None = None,
) -> None:
    """`shown` is filled while the command runs (the repair prompt notes that it
    showed the change table, so the report does not show it again). `no_diagram`:
    why `--format mermaid` is refused here (None: the command draws it). `runner`: a
    command of several steps (`deploy`) that runs them itself, reporting as
    `report_type`."""
    from dbinit import engine, logs
    from dbinit.errors import ConfigError, mask_url
    from dbinit.report import Report
    from dbinit.settings import load_settings

    mermaid = given.get("format") == MERMAID
    if mermaid:
        if no_diagram is not None:
            raise typer.BadParameter(no_diagram, param_hint="'--format'")
        del given["format"]
    markdown = given.get("format") == MARKDOWN
    if markdown:
        if command != "plan":
            raise typer.BadParameter(
                "markdown is a pull-request comment: use it with `dbinit plan`",
                param_hint="'--format'",
            )
        del given["format"]
    quiet = bool(given.pop("quiet", False))
    try:
        settings = load_settings(**given)
    except ConfigError as exc:
        fmt = _fallback(
            given.get("format") or os.environ.get("DBINIT_FORMAT"), ("text", "json"), "text"
        )
        logs.configure(
            _fallback(
                given.get("log_format") or os.environ.get("DBINIT_LOG_FORMAT"),
                ("auto", "console", "json"),
                "auto",
            ),
            "critical" if quiet else None,
        )
        logs.log.error("settings.invalid", command=command, message=exc.message)
        report = (report_type or Report)(
            command, mask_url(str(given.get("database_url", ""))), str(given.get("schema_dir", ""))
        )
        report.fail(exc)
        raise typer.Exit(_emit(report, fmt, quiet=quiet)) from None
    # --quiet hides logs; otherwise an explicit level wins over the default.
    explicit = settings.log_level if "log_level" in settings.model_fields_set else None
    logs.configure(settings.log_format, "critical" if quiet else explicit)
    logs.log.debug(
        "settings.loaded",
        command=command,
        database=mask_url(settings.database_url),
        schema_dir=settings.schema_dir,
        format=settings.format,
        timeout_s=settings.initialization_timeout,
        retry_attempts=settings.retry_attempts,
        retry_delay_s=settings.retry_delay,
    )
    if runner is not None:
        report = runner(settings)
    else:
        assert action is not None, "a command runs either an action or a runner"
        report = engine.execute(
            command, settings, action, touches_database=touches_database, report_interrupts=True
        )
    show_changes = not (shown or {}).get("changes")
    fmt = MERMAID if mermaid else MARKDOWN if markdown else settings.format
    raise typer.Exit(_emit(report, fmt, quiet=quiet, show_sql=show_sql, show_changes=show_changes))


def _emit(
    report: Report, fmt: str, *, quiet: bool, show_sql: bool = False, show_changes: bool = True
) -> int:
    """Write the report to stdout and return the exit code. A report that cannot
    be written (stdout closed, a full disk, a closed pipe) is an I/O error, 74
    (DB_009): never a code a pipeline would read as drift."""
    from dbinit import logs
    from dbinit.render import render

    entry.reported = True
    try:
        _stdout_open()
        render(report, fmt, quiet=quiet, show_sql=show_sql, show_changes=show_changes)
    except OSError as exc:
        logs.discard(sys.stdout)
        logs.log.error(
            "report.unwritable",
            error="io_error",
            error_code="DB_009",
            exit_code=74,
            report_exit_code=report.exit_code,
            message=f"Cannot write the report to standard output: {exc.strerror or exc}",
        )
        return 74
    return report.exit_code


def _fallback(value: str | None, allowed: tuple[str, ...], default: str) -> str:
    value = (value or "").strip().lower()
    return value if value in allowed else default


@command
def check(
    given: dict[str, Any],
    show_sql: Annotated[
        bool, typer.Option("--sql", metavar="", help="Show the SQL each change needs.")
    ] = False,
) -> None:
    """Report drift between the database and the schema files (read-only).

    Never writes and never creates the file: a missing database is drift.
    Exit 0 when in sync (extra objects are warnings), 1 when anything
    declared is missing or different.
    """
    from dbinit import engine

    _run("check", given, engine.check, show_sql=show_sql)


@command
def init(
    given: dict[str, Any],
    dry_run: DryRun = False,
    online_timeout: OnlineTimeout = None,
    allow_data_loss: AllowDataLoss = False,
) -> None:
    """Create what is missing (tables, columns, indexes, views, triggers), safely.

    Applies every safe change in one transaction, verifies and records it in
    _dbinit_history. A rebuild or destructive change is applied only with an
    approved plan file (dbinit plan wrote it, the repository holds it, and it
    still matches exactly); otherwise init applies nothing and exits 3 naming
    it (dbinit plan, or dbinit repair, handles it). Idempotent.
    """
    from functools import partial

    from dbinit import engine

    _run(
        "init",
        _online(given, online_timeout),
        partial(engine.init, dry_run=dry_run, allow_data_loss=allow_data_loss),
    )


@command
def validate(
    given: dict[str, Any],
    schema_only: Annotated[
        bool,
        typer.Option(
            "--schema-only", metavar="", help="Check the schema files only, without a database."
        ),
    ] = False,
    allow_extra: AllowExtra = None,
    integrity: Annotated[
        str,
        typer.Option(
            "--integrity",
            metavar="quick|full|off",
            parser=_choice("quick", "full", "off"),
            help="quick (PRAGMA quick_check), full (integrity_check) or off.",
        ),
    ] = "quick",
) -> None:
    """Strict gate for CI and post-deploy: lint-clean files, zero drift, integrity, foreign keys.

    Exit 0 when everything holds, 1 on drift or a failed check, 65 on a
    schema or lint error.
    """
    from functools import partial

    from dbinit import engine

    action = partial(
        engine.validate,
        schema_only=schema_only,
        allow_extra=allow_extra,
        integrity=integrity,
        diagram=given.get("format") == MERMAID,
    )
    no_diagram = None if schema_only else NO_DIAGRAM
    _run("validate", given, action, touches_database=not schema_only, no_diagram=no_diagram)


@command
def repair(
    given: dict[str, Any],
    dry_run: DryRun = False,
    yes: Annotated[
        bool, typer.Option("--yes", "-y", metavar="", help="Do not ask for confirmation.")
    ] = False,
    allow_data_loss: Annotated[
        bool,
        typer.Option(
            "--allow-data-loss",
            metavar="",
            help="Allow losing rows or values: with --prune, dropping undeclared tables and "
            "columns (even empty ones); rebuilding a virtual table whose rows cannot be copied "
            "(contentless FTS).",
        ),
    ] = False,
    prune: Annotated[
        bool,
        typer.Option(
            "--prune",
            metavar="",
            help="Remove objects no schema file declares (kept otherwise; `dbinit inspect` "
            "prints their SQL to declare them). Tables and columns also need --allow-data-loss.",
        ),
    ] = False,
    no_backup: Annotated[
        bool, typer.Option("--no-backup", metavar="", help="Skip the backup.")
    ] = False,
    backup_dir: Annotated[
        str | None,
        typer.Option(
            "--backup-dir",
            metavar="DIR",
            show_default="beside the database",
            help="Folder for the backup.",
        ),
    ] = None,
    online_timeout: OnlineTimeout = None,
) -> None:
    """Apply every change, rebuilding tables SQLite cannot ALTER, keeping every row.

    Backs the database up first (SQLite backup API) unless --no-backup.
    Rebuilds follow SQLite's 12-step procedure in one transaction with
    foreign keys off and a foreign_key_check before commit. Undeclared objects
    are kept unless --prune; removing tables or columns also needs
    --allow-data-loss; otherwise nothing is changed (exit 3).
    Asks for confirmation on a terminal; without one it needs --yes.
    """
    from dbinit import engine
    from dbinit.logs import isatty

    interactive = isatty(sys.stdin) and isatty(sys.stderr)
    shown: dict[str, bool] = {}

    def confirm(plan: Any) -> bool:
        shown["changes"] = True
        return _confirm(plan)

    options = engine.RepairOptions(
        dry_run=dry_run,
        allow_data_loss=allow_data_loss,
        prune=prune,
        yes=yes,
        backup=not no_backup,
        backup_dir=backup_dir,
        confirm=confirm if interactive else None,
        progress=_progress() if isatty(sys.stderr) and not given.get("quiet") else None,
    )

    def action(run: Run, report: Report) -> None:
        engine.repair(run, report, options)

    _run("repair", _online(given, online_timeout), action, shown=shown)


def _confirm(plan: Any) -> bool:
    from rich.console import Console

    from dbinit.render import shown, tables

    console = Console(stderr=True, highlight=False)
    tables(console, list(plan.changes))
    console.print(f"[bold]dbinit repair[/] will run {len(plan.statements)} statement(s):")
    for step in plan.steps:
        console.print(f"  • {shown(step.description)}")
    return _ask("Apply these changes?")


def _ask(question: str) -> bool:
    """A yes/no question on the terminal (stderr and stdin; stdout keeps only the
    report). Ctrl-C or Ctrl-D is an answer, no (exit 3, nothing changed); a
    SIGTERM there still stops the run (exit 143)."""
    try:  # the question is inside: a Ctrl-C as soon as it shows is still an answer
        sys.stderr.write(f"{question} [y/N]: ")
        sys.stderr.flush()
        answer = sys.stdin.readline()
    except KeyboardInterrupt as exc:
        if getattr(exc, "signum", signal.SIGINT) != signal.SIGINT:
            raise
        received_signals.clear()  # answered: the next Ctrl-C stops the run again
        answer = ""
    if not answer.endswith("\n"):
        sys.stderr.write("\n")
    return answer.strip().lower() in ("y", "yes")


def _progress() -> Any:
    from dbinit.progress import RichProgress

    return RichProgress()


@command
def inspect(
    given: dict[str, Any],
    output_dir: Annotated[
        str | None,
        typer.Option(
            "--output-dir",
            "-o",
            metavar="DIR",
            help="Write one .sql file per table into this folder.",
        ),
    ] = None,
) -> None:
    """Print the live schema as SQL, ready to become schemas/ for an existing database.

    With --output-dir, writes one file per table (with its indexes and
    triggers) and one for views; `dbinit check` against that folder then
    reports no changes. With --format mermaid, prints a Mermaid erDiagram of
    the tables, their keys and foreign keys instead. Never writes to the database.
    """
    from functools import partial

    from dbinit import engine

    diagram = given.get("format") == MERMAID
    action = partial(engine.inspect, output_dir=output_dir, diagram=diagram)
    _run("inspect", given, action, no_diagram=None)


@command
def history(
    given: dict[str, Any],
    limit: Annotated[
        int | None,
        typer.Option(
            "--limit", "-n", metavar="N", min=1, max=2**63 - 1, help="Show only the newest N runs."
        ),
    ] = None,
) -> None:
    """List what earlier init and repair runs applied (from _dbinit_history), newest first."""
    from functools import partial

    from dbinit import engine

    _run("history", given, partial(engine.history, limit=limit))


@command
def copy(
    given: dict[str, Any],
    source: Annotated[
        str | None,
        typer.Option(
            "--from",
            metavar="URL",
            show_default="required",
            help="The SQLite file to copy rows from (sqlite:///app.db, sqlite:////abs/app.db "
            "or a path); opened read-only.",
        ),
    ] = None,
    append: Annotated[
        bool,
        typer.Option(
            "--append",
            metavar="",
            help="Add the rows to target tables that already hold rows (refused otherwise).",
        ),
    ] = False,
    allow_data_loss: Annotated[
        bool,
        typer.Option(
            "--allow-data-loss",
            metavar="",
            help="Copy even when the source holds tables or columns no schema file declares "
            "(they are left out and listed); refused otherwise.",
        ),
    ] = False,
) -> None:
    """Copy every declared table's rows from a SQLite file into the PostgreSQL database.

    The database must match the schema files already (run `dbinit init` first,
    else exit 3). Tables are copied parents first (foreign keys) through
    PostgreSQL's COPY, in one transaction; values are converted by the declared
    column types; identity and serial sequences move to the copied maximum; row
    counts and checksums are verified before commit. A value that does not fit
    is exit 3 (DB_005) naming the table, column and source row, and nothing is
    written. Target tables that already hold rows are refused unless --append.
    """
    from dbinit import engine
    from dbinit.backend import CopyOptions
    from dbinit.logs import isatty

    if source is None:
        raise typer.BadParameter("the SQLite file to copy from is required", param_hint="'--from'")
    progress = _copy_bar() if isatty(sys.stderr) and not given.get("quiet") else None
    options = CopyOptions(source, append, allow_data_loss, progress)

    def action(run: Run, report: Report) -> None:
        engine.copy(run, report, options)

    _run("copy", given, action)


def _copy_bar() -> Any:
    from dbinit.progress import CopyBar

    return CopyBar()


@command
def deploy(
    given: dict[str, Any],
    pre_deploy: Annotated[
        bool,
        typer.Option(
            "--pre-deploy",
            metavar="",
            help="Run as the platform's pre-deploy command (Railway's preDeployCommand); "
            "without it, as the start command before the app.",
        ),
    ] = False,
    online_timeout: OnlineTimeout = None,
    allow_extra: AllowExtra = None,
    allow_data_loss: AllowDataLoss = False,
) -> None:
    """The deploy steps for where this runs; one report of every step.

    SQLite (a file on a volume, mounted only in the start command): the start
    command runs init, then validate; --pre-deploy only checks the schema files
    (validate --schema-only) and touches no database. PostgreSQL: init, then
    validate, in the pre-deploy command (and again, harmlessly, in the start
    command). Stops at the first failing step and exits with its code, so the
    app never starts on a database that is not ready. Logs are JSON lines where
    no terminal is (a platform's log collector), console lines on a terminal.
    """
    from functools import partial

    from dbinit import engine
    from dbinit.report import Deploy

    if allow_extra is not None:
        given["allow_extra"] = allow_extra
    runner = partial(
        engine.deploy,
        pre_deploy=pre_deploy,
        report_interrupts=True,
        allow_data_loss=allow_data_loss,
    )
    _run("deploy", _online(given, online_timeout), None, runner=runner, report_type=Deploy)


@command
def plan(
    given: dict[str, Any],
    from_ref: Annotated[
        str | None,
        typer.Option(
            "--from-ref",
            metavar="GIT_REF",
            show_default="the database",
            help="Plan from the schema files at this git commit (built in memory for "
            "SQLite, in the scratch database for PostgreSQL) instead of the database.",
        ),
    ] = None,
    output_dir: Annotated[
        str | None,
        typer.Option(
            "--output-dir",
            "-o",
            metavar="DIR",
            show_default="the plans_dir setting, else plans/ beside the schema folder",
            help="Folder of plan files.",
        ),
    ] = None,
    allow_data_loss: Annotated[
        bool,
        typer.Option(
            "--allow-data-loss",
            metavar="",
            help="Write allow-data-loss: yes in the header, so deploying it may drop "
            "rows or values without --allow-data-loss.",
        ),
    ] = False,
    check_only: Annotated[
        bool,
        typer.Option(
            "--check",
            metavar="",
            help="Write nothing; exit 3 when the plan needs approval and no plan file in "
            "the folder approves it (for CI).",
        ),
    ] = False,
) -> None:
    """Write the plan from a base to the schema files as one reviewable SQL file.

    The file (plans/BASE-TARGET.sql) holds the base and target fingerprints, the
    dbinit version, each change's safety and hazards, and the exact statements
    that will run. Committed, it approves the plan: init and deploy then apply
    its rebuild and destructive changes, as long as it still matches exactly.
    --format markdown prints it as a pull-request comment. Nothing to plan: no
    file, exit 0.
    """
    from functools import partial

    from dbinit import planfile

    action = partial(
        planfile.plan,
        from_ref=from_ref,
        output_dir=output_dir,
        allow_data_loss=allow_data_loss,
        check=check_only,
    )
    _run("plan", given, action, touches_database=from_ref is None)


def main() -> None:
    """Console-script entry point; a bug still exits 70, never with a bare traceback.

    Only the CLI handles SIGTERM and SIGINT: the library never installs a
    signal handler in its host application (`dbinit.entry` installs them
    before this module is even imported).
    """
    entry.install()
    try:
        app()
    except SystemExit as exc:
        if received_signals and exc.code == 130:  # Typer's own code for Ctrl-C
            entry.stop(KeyboardInterrupt())
        raise
    except KeyboardInterrupt as exc:  # outside a command's run: nothing to roll back
        entry.stop(exc)
    except Exception as exc:  # pragma: no cover - defensive edge
        if received_signals:  # a signal's interrupt, wrapped (e.g. by __set_name__)
            entry.stop(exc)
        import traceback

        from dbinit.errors import mask_url

        _say(mask_url(traceback.format_exc()))
        _say(f"dbinit: internal error: {mask_url(str(exc))}\n")
        sys.exit(70)


def _say(text: str) -> None:
    """A last word on stderr, if stderr can still take it."""
    entry.say(text)
