"""The one place that configures structlog (CLI only; the library never does).

Logs go to stderr: console lines on a TTY, JSON lines otherwise (or as asked),
ISO-8601 UTC timestamps, lowercase levels, URL passwords masked, and never a
traceback renderer that shows local variables.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys
from collections.abc import MutableMapping
from typing import IO, Any

import structlog

from dbinit.errors import mask_url, printable


def _mask(_: Any, __: str, event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    for key, value in event.items():
        if isinstance(value, str):
            event[key] = mask_url(value)
    return event


def _printable(_: Any, __: str, event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    """Console lines show control characters escaped; the console renderer prints
    the event and tracebacks as they are (other values it shows with repr)."""
    for key in ("event", "exception", "traceback"):
        value = event.get(key)
        if isinstance(value, str):
            event[key] = printable(value)
    return event


class _Log:
    """dbinit's logger: structlog when it is configured (by the CLI or the host
    application), else the standard library's `logging.getLogger("dbinit")`,
    so a host that never set structlog up gets nothing on its stdout."""

    def _emit(self, level: str, event: str, fields: dict[str, Any]) -> None:
        if structlog.is_configured():
            getattr(structlog.get_logger("dbinit"), level)(event, **fields)
            return
        logger = logging.getLogger("dbinit")
        number = getattr(logging, level.upper())
        if logger.isEnabledFor(number):
            context = {**structlog.contextvars.get_contextvars(), **fields}
            text = " ".join(f"{k}={v}" for k, v in context.items())
            logger.log(number, "%s %s", event, mask_url(text))

    def debug(self, event: str, **fields: Any) -> None:
        self._emit("debug", event, fields)

    def info(self, event: str, **fields: Any) -> None:
        self._emit("info", event, fields)

    def warning(self, event: str, **fields: Any) -> None:
        self._emit("warning", event, fields)

    def error(self, event: str, **fields: Any) -> None:
        self._emit("error", event, fields)


log = _Log()


class _StderrLogger:
    """Writes each rendered line to whatever `sys.stderr` is at call time. A closed
    or full stderr drops the line: a log that cannot be written never changes
    what the command does or the exit code it ends with."""

    def msg(self, message: str) -> None:
        stream = sys.stderr
        if stream is None:  # fd 2 was closed when the process started
            return
        try:
            stream.write(message + "\n")
            stream.flush()
        except (OSError, ValueError):
            discard(stream)

    debug = info = warning = warn = error = critical = exception = fatal = log = msg


def _stderr_logger(*_: Any) -> _StderrLogger:
    return _StderrLogger()


def discard(stream: IO[str] | None) -> None:
    """Point a broken standard stream's file descriptor at /dev/null, so that
    nothing written to it later (the interpreter's own flush at exit included,
    which would turn the exit code into 120) fails again."""
    if stream is None:
        return
    with contextlib.suppress(OSError, ValueError):
        null = os.open(os.devnull, os.O_WRONLY)
        try:
            os.dup2(null, stream.fileno())
        finally:
            os.close(null)


def isatty(stream: IO[str] | None) -> bool:
    """Whether a standard stream is a terminal (False when it is closed)."""
    try:
        return stream is not None and stream.isatty()
    except (OSError, ValueError):
        return False


class _DriverLog(logging.Handler):
    """psycopg's own log records (logger `psycopg`), as dbinit events on stderr instead
    of raw lines from Python's last-resort handler. "error ignored terminating …"
    (a pipeline or COPY left after the error that ended it, already reported) is
    only a debug event: the report names the real error."""

    def emit(self, record: logging.LogRecord) -> None:
        try:
            message = record.getMessage()
        except Exception:  # a malformed record from a driver never breaks a run
            message = str(record.msg)
        if message.startswith("error ignored terminating") or record.levelno < logging.WARNING:
            log.debug("driver.message", message=message)
        else:
            log.warning("driver.warning", message=message)


def _driver_logs() -> None:
    driver = logging.getLogger("psycopg")
    if not any(isinstance(h, _DriverLog) for h in driver.handlers):
        driver.addHandler(_DriverLog())
    driver.propagate = False


def configure(log_format: str, level: str | None) -> None:
    """`level` None: the default, `warning` for console lines on a terminal (a person
    reads them before the report), `info` otherwise (JSON lines for aggregators)."""
    tty = isatty(sys.stderr)
    fmt = ("console" if tty else "json") if log_format == "auto" else log_format
    if level is None:
        level = "warning" if tty and fmt == "console" else "info"
    processors: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        _mask,
    ]
    if fmt == "json":
        processors.append(structlog.processors.JSONRenderer())
    else:
        colors = tty and "NO_COLOR" not in os.environ
        processors.append(_printable)
        processors.append(
            structlog.dev.ConsoleRenderer(
                colors=colors, exception_formatter=structlog.dev.plain_traceback
            )
        )
    _driver_logs()
    structlog.configure(
        processors=processors,
        wrapper_class=structlog.make_filtering_bound_logger(getattr(logging, level.upper())),
        logger_factory=_stderr_logger,
        cache_logger_on_first_use=False,
    )
