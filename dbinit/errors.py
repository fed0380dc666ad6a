"""The error family of dbinit and the one place that maps sqlite3 and OS errors.

Every failure a user can meet is a `DbInitError` carrying the contract's
`error`, `error_code` and `exit_code` (contract §5 and §6). This module must
not import anything heavy and must never put a secret in a message.
"""

from __future__ import annotations

import errno
import re
import sqlite3
from pathlib import Path
from typing import Any, ClassVar

# `scheme://user:` then everything up to the last `@` of that URL (a password may
# hold unencoded `@` or `/`). The scheme must start a word, so a long run of
# letters is scanned once, not once per position.
_USERINFO = re.compile(
    r"(?<![A-Za-z0-9+.-])(?P<head>[A-Za-z][A-Za-z0-9+.-]{0,30}://[^/@:\s]*:)\S*@"
)
_QUERY_SECRET = re.compile(
    r"(?P<head>[?&;](?:password|passwd|pwd|secret|token|api_?key|access_?key)=)[^&;#\s]*",
    re.IGNORECASE,
)


def mask_url(text: str) -> str:
    """Replace the password of every URL in `text` with `***`."""
    if "://" not in text:
        return text
    text = _USERINFO.sub(r"\g<head>***@", text)
    return _QUERY_SECRET.sub(r"\g<head>***", text)


class DbInitError(Exception):
    """A failure with a contract exit code; `to_dict()` is the JSON error shape."""

    error: ClassVar[str] = "internal_error"
    error_code: ClassVar[str] = "DB_010"
    default_exit_code: ClassVar[int] = 70

    def __init__(
        self,
        message: str,
        *,
        details: str | None = None,
        retry_after: int | None = None,
        exit_code: int | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.details = details
        self.retry_after = retry_after
        self.exit_code = exit_code if exit_code is not None else self.default_exit_code

    def to_dict(self) -> dict[str, Any]:
        return {
            "error": self.error,
            "message": self.message,
            "details": self.details,
            "retry_after": self.retry_after,
            "error_code": self.error_code,
        }


class ConnectionFailed(DbInitError):
    error = "connection_error"
    error_code = "DB_001"
    default_exit_code = 69


class DatabaseLocked(DbInitError):
    error = "database_locked"
    error_code = "DB_002"
    default_exit_code = 75


class PermissionDenied(DbInitError):
    error = "permission_error"
    error_code = "DB_003"
    default_exit_code = 77


class SchemaError(DbInitError):
    error = "schema_error"
    error_code = "DB_004"
    default_exit_code = 65


class SchemaMissing(SchemaError):
    default_exit_code = 66


class DataError(DbInitError):
    error = "data_error"
    error_code = "DB_005"
    default_exit_code = 3


class IntegrityFailed(DbInitError):
    error = "integrity_error"
    error_code = "DB_006"
    default_exit_code = 1


class Refused(DbInitError):
    error = "refused"
    error_code = "DB_007"
    default_exit_code = 3


class ConfigError(DbInitError):
    error = "config_error"
    error_code = "DB_008"
    default_exit_code = 78


class IOFailure(DbInitError):
    error = "io_error"
    error_code = "DB_009"
    default_exit_code = 74


class InternalError(DbInitError):
    pass


class Interrupted(DbInitError):
    """The run was stopped by SIGINT (exit 130) or SIGTERM (exit 143)."""

    error = "interrupted"
    error_code = "DB_011"
    default_exit_code = 130


class Signalled(KeyboardInterrupt):
    """Raised by the CLI's handler for SIGTERM (and SIGINT), so that a stop
    unwinds like Ctrl-C: every clean-up for KeyboardInterrupt runs."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


def sqlite_error_name(exc: BaseException) -> str:
    """The SQLite primary result code name (``SQLITE_BUSY``, …) of an error, or ``""``."""
    name = str(getattr(exc, "sqlite_errorname", "") or "")
    return "_".join(name.split("_")[:2])


def is_busy(exc: BaseException) -> bool:
    """True for a transient lock conflict worth retrying."""
    if not isinstance(exc, sqlite3.OperationalError):
        return False
    if sqlite_error_name(exc) in {"SQLITE_BUSY", "SQLITE_LOCKED"}:
        return True
    text = str(exc).lower()
    return "database is locked" in text or "database table is locked" in text


def _describe(exc: BaseException) -> str:
    return f"{type(exc).__module__}.{type(exc).__qualname__}: {exc}"


def from_sqlite(exc: sqlite3.Error, path: Path | None, *, during: str = "") -> DbInitError:
    """Map a sqlite3 exception to the contract's error family."""
    name = sqlite_error_name(exc)
    text = str(exc).lower()
    where = f" {path}" if path is not None else ""
    details = _describe(exc)
    suffix = f" during {during}" if during else ""
    if isinstance(exc, sqlite3.IntegrityError) or name == "SQLITE_CONSTRAINT":
        return DataError(
            f"A constraint failed{suffix}; everything was rolled back: {exc}", details=details
        )
    if name in {"SQLITE_FULL"} or "disk is full" in text:
        return IOFailure(f"Disk full{suffix}; everything was rolled back", details=details)
    if name == "SQLITE_IOERR" or "disk i/o error" in text:
        return IOFailure(f"I/O error{suffix}; everything was rolled back", details=details)
    if name == "SQLITE_READONLY" or "readonly database" in text:
        return PermissionDenied(f"Database{where} is read-only", details=details)
    if name == "SQLITE_PERM" or "access permission denied" in text:
        return PermissionDenied(f"Permission denied on database{where}", details=details)
    if name in {"SQLITE_NOTADB"} or "not a database" in text:
        return ConnectionFailed(f"File{where} is not a SQLite database", details=details)
    if name == "SQLITE_CORRUPT" or "malformed" in text:
        return ConnectionFailed(f"Database{where} is corrupt", details=details)
    if is_busy(exc):
        return DatabaseLocked(
            "Database is locked by another process", details=details, retry_after=5
        )
    if name == "SQLITE_CANTOPEN" or "unable to open" in text:
        return ConnectionFailed(f"Cannot open database{where}", details=details)
    if name == "SQLITE_TOOBIG" or "too big" in text:
        return IOFailure(f"Value too big{suffix}; everything was rolled back", details=details)
    return ConnectionFailed(f"Database error{suffix}: {exc}", details=details)


def from_os(
    exc: OSError, path: Path, *, creating_parent: bool = False, what: str = "database"
) -> DbInitError:
    """Map an OSError met while touching the database path (or its backup's)."""
    details = _describe(exc)
    if creating_parent:
        return IOFailure(
            f"Cannot create the {what} folder {path}: {exc.strerror or exc}",
            details=details,
            exit_code=73,
        )
    if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return PermissionDenied(f"Permission denied: {path}", details=details)
    if exc.errno in (errno.ENOSPC, errno.EFBIG, errno.EDQUOT, errno.EIO):
        return IOFailure(f"I/O error on {path}: {exc.strerror or exc}", details=details)
    return ConnectionFailed(f"Cannot open database {path}: {exc.strerror or exc}", details=details)
