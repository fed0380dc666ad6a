"""SQLite's errors mapped to the contract's error family (exit codes, error codes).

The one place that reads sqlite3 exceptions; messages never carry a secret.
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

from dbinit.errors import (
    ConnectionFailed,
    DatabaseLocked,
    DataError,
    DbInitError,
    IOFailure,
    PermissionDenied,
    Signalled,
    describe,
    received_signals,
)


def sqlite_error_name(exc: BaseException) -> str:
    """The SQLite primary result code name (``SQLITE_BUSY``, …) of an error, or ``""``."""
    name = str(getattr(exc, "sqlite_errorname", "") or "")
    return "_".join(name.split("_")[:2])


def stopped() -> KeyboardInterrupt:
    """The interrupt that stopped a statement (SQLITE_INTERRUPT from a progress
    handler): the CLI's signal, else Ctrl-C in an application that kept
    Python's own SIGINT handler."""
    return Signalled(received_signals[0]) if received_signals else KeyboardInterrupt()


def is_busy(exc: BaseException) -> bool:
    """True for a transient lock conflict worth retrying."""
    if not isinstance(exc, sqlite3.OperationalError):
        return False
    if sqlite_error_name(exc) in {"SQLITE_BUSY", "SQLITE_LOCKED"}:
        return True
    text = str(exc).lower()
    return "database is locked" in text or "database table is locked" in text


def from_sqlite(exc: sqlite3.Error, path: Path | None, *, during: str = "") -> DbInitError:
    """Map a sqlite3 exception to the contract's error family."""
    name = sqlite_error_name(exc)
    text = str(exc).lower()
    where = f" {path}" if path is not None else ""
    details = describe(exc)
    suffix = f" during {during}" if during else ""
    if isinstance(exc, sqlite3.IntegrityError) or name == "SQLITE_CONSTRAINT":
        return DataError(
            f"A constraint failed{suffix}; everything was rolled back: {exc}", details=details
        )
    if "malformed json" in text or "json cannot hold blob" in text:
        # Data, not the file: a row's JSON under an expression index or generated column.
        return DataError(
            f"Invalid JSON in a row{suffix}; everything was rolled back: {exc}", details=details
        )
    if name in {"SQLITE_FULL"} or "disk is full" in text:
        return IOFailure(f"Disk full{suffix}; everything was rolled back", details=details)
    if name == "SQLITE_IOERR" or "disk i/o error" in text:
        return IOFailure(f"I/O error{suffix}; everything was rolled back", details=details)
    if name == "SQLITE_READONLY" or "readonly database" in text:
        return PermissionDenied(_read_only(path), details=details)
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


def _read_only(path: Path | None) -> str:
    """Say what is read-only: the database file, or its folder (a write needs a
    journal file next to the database, so a writable file in a read-only folder
    cannot be changed either)."""
    if path is None:
        return "Database is read-only"
    folder = path.parent
    if os.access(path, os.W_OK) and not os.access(folder, os.W_OK | os.X_OK):
        return (
            f"Folder {folder.absolute()} is read-only: writing to database {path} needs "
            f"its journal file ({path.name}-journal) in that folder; make the folder "
            "writable (the database file itself is writable)"
        )
    return f"Database {path} is read-only"
