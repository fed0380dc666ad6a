"""The console script: SIGINT and SIGTERM handlers first, then the CLI.

The handlers are installed before typer, rich or the CLI are imported, so a
stop in the first moments after start is an interrupt like any other: exit
128 + the signal's number (130 SIGINT, 143 SIGTERM), the one JSON error
document when JSON was asked for (`-f/--format json`, else `DBINIT_FORMAT`),
never a traceback. Only this entry point (and `dbinit.cli.main`) installs
them: `import dbinit` never touches a host application's signal handling.
"""

from __future__ import annotations

import os
import signal
import sys
from typing import NoReturn

from dbinit.errors import Signalled, received_signals

# Set once a report (or a usage error document) started going to stdout: a
# stop after that must not print a second document.
reported = False
# Signals that came once the report was being written: the run is over, its
# printed `exit_code` stays the exit status.
late_signals: list[int] = []


def on_signal(signum: int, _frame: object) -> None:
    """SIGINT and SIGTERM unwind the run like Ctrl-C (the engine rolls back and
    reports it); a second signal while that clean-up runs is ignored. Once the
    report is being written the run is over: the report is finished and the exit
    status stays its `exit_code` (a second such signal ends the process at once,
    should writing the report hang)."""
    if reported:
        if late_signals:
            os._exit(128 + signum)
        late_signals.append(signum)
        return
    if received_signals:
        return
    received_signals.append(signum)
    raise Signalled(signum)


def install() -> None:
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, on_signal)


def main() -> None:
    install()
    try:
        from dbinit.cli import main as cli_main

        cli_main()
    except KeyboardInterrupt as exc:
        stop(exc)


def stop(exc: BaseException) -> NoReturn:
    """End a run stopped outside a command's own handling (before it started,
    or while options were parsed): the interrupt report, exit 128 + signal."""
    signum = int(getattr(exc, "signum", 0) or (received_signals or [signal.SIGINT])[0])
    name = signal.Signals(signum).name
    argv = tuple(sys.argv[1:])
    if not reported and _json_asked(argv):
        _json_document(argv, signum, name)
    elif not reported:
        say(f"dbinit: interrupted by {name}; nothing was changed\n")
    raise SystemExit(128 + signum)


def _json_document(argv: tuple[str, ...], signum: int, name: str) -> None:
    global reported
    from dbinit.errors import Interrupted, mask_url
    from dbinit.render import render
    from dbinit.report import Report

    commands = ("check", "init", "validate", "repair", "inspect", "history")
    command = next((a for a in argv if a in commands), "")
    report = Report(
        command,
        mask_url(option_value(argv, "--database", "-d") or ""),
        option_value(argv, "--schema-dir", "-s") or "",
    )
    report.fail(
        Interrupted(
            f"Interrupted by {name} before the command started; nothing was changed",
            details=f"stopped by signal {signum} ({name})",
            exit_code=128 + signum,
        )
    )
    reported = True
    try:
        if sys.stdout is None:
            raise OSError("standard output is closed")
        render(report, "json")
    except OSError:
        from dbinit.logs import discard

        discard(sys.stdout)


def _json_asked(argv: tuple[str, ...]) -> bool:
    fmt = option_value(argv, "--format", "-f")
    if fmt is None or fmt.strip().lower() not in ("text", "json"):
        fmt = os.environ.get("DBINIT_FORMAT")
    return (fmt or "").strip().lower() == "json"


def option_value(argv: tuple[str, ...], long: str, short: str) -> str | None:
    """The last value given to an option on the command line (`--x V`, `--x=V`, `-xV`)."""
    value = None
    for i, arg in enumerate(argv):
        if arg == "--":
            break
        if arg in (long, short):
            value = argv[i + 1] if i + 1 < len(argv) else value
        elif arg.startswith(long + "="):
            value = arg[len(long) + 1 :]
        elif arg.startswith(short) and not arg.startswith("--") and len(arg) > len(short):
            value = arg[len(short) :]
    return value


def say(text: str) -> None:
    """A last word on stderr, if stderr can still take it."""
    if sys.stderr is None:
        return
    try:
        sys.stderr.write(text)
        sys.stderr.flush()
    except (OSError, ValueError):
        from dbinit.logs import discard

        discard(sys.stderr)
