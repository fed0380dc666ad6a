"""Opening the database, retrying on locks, and applying a plan in one transaction.

Writes run inside one `BEGIN IMMEDIATE` transaction; the plan is recomputed
after the lock is taken (the caller passes a `replan` function), checked with
`PRAGMA foreign_key_check`, recorded in `_dbinit_history`, then committed.
Any failure rolls everything back. This module decides nothing about which
changes are allowed: that is `plan.py`'s policy.
"""

from __future__ import annotations

import contextlib
import glob
import json
import math
import os
import random
import re
import sqlite3
import stat
import time
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol, TypeVar

from dbinit.errors import (
    ConnectionFailed,
    DatabaseLocked,
    DataError,
    DbInitError,
    PermissionDenied,
    from_os,
    from_sqlite,
    is_busy,
)
from dbinit.introspect import HISTORY_TABLE
from dbinit.logs import log
from dbinit.plan import REBUILD_PREFIX, Plan, Statement, Step
from dbinit.sqltext import fold, quote_ident

T = TypeVar("T")

HISTORY_SQL = f"""CREATE TABLE IF NOT EXISTS {HISTORY_TABLE} (
    id INTEGER PRIMARY KEY,
    applied_at TEXT NOT NULL,
    command TEXT NOT NULL,
    dbinit_version TEXT NOT NULL,
    schema_checksum TEXT NOT NULL,
    statements TEXT NOT NULL,
    changes INTEGER NOT NULL,
    outcome TEXT NOT NULL,
    duration_ms REAL NOT NULL
)"""


@dataclass(frozen=True, slots=True)
class Retry:
    attempts: int
    delay: float
    deadline: float  # time.monotonic() value

    def remaining(self) -> float:
        return self.deadline - time.monotonic()

    @staticmethod
    def ms_until(moment: float) -> int:
        return max(0, int((moment - time.monotonic()) * 1000))


def with_retry(fn: Callable[[float], T], retry: Retry, what: str) -> T:
    """Run `fn(until)`; `until` ends this attempt's wait for a lock. A transient
    lock error starts the next attempt with a window twice as long (the first
    is `retry.delay`), until the attempts or the overall time limit run out."""
    started = time.monotonic()
    tries = 0
    while True:
        window = max(retry.delay * 2**tries, 0.05)
        until = min(retry.deadline, time.monotonic() + window)
        try:
            return fn(until)
        except sqlite3.OperationalError as exc:
            if not is_busy(exc):
                raise
            if tries >= retry.attempts or retry.remaining() <= 0:
                elapsed = time.monotonic() - started
                raise DatabaseLocked(
                    "Database is locked by another process",
                    details=(
                        f"sqlite3.OperationalError: {exc} (after {tries + 1} attempts "
                        f"over {elapsed:.1f} s)"
                    ),
                    retry_after=max(1, math.ceil(retry.delay * 2 ** (tries + 1))),
                ) from None
            tries += 1
            log.warning("database.busy", step=what, attempt=tries, waited_s=round(window, 3))
            rest = until - time.monotonic()
            if rest > 0:  # SQLite gave up before the window ended: wait it out
                time.sleep(rest)


def begin_immediate(conn: sqlite3.Connection, until: float) -> None:
    """Take the write lock, polling every few milliseconds until `until`.

    SQLite's own busy handler re-checks in growing steps (up to 100 ms) and so
    keeps missing the short gaps a busy writer leaves between transactions;
    a fine poll with jitter finds them.
    """
    conn.execute("PRAGMA busy_timeout = 0")
    pause = 0.0005
    while True:
        try:
            conn.execute("BEGIN IMMEDIATE")
            return
        except sqlite3.OperationalError as exc:
            if not is_busy(exc) or time.monotonic() + pause >= until:
                raise
        time.sleep(pause * random.uniform(0.5, 1.5))
        pause = min(pause * 1.5, 0.005)


def file_uri(path: Path, mode: str) -> str:
    """The `file:` URI of exactly this path (open it with `uri=True`).

    Handed a plain name, SQLite reads `:memory:` as an in-memory database and
    `file:…?mode=memory` as a URI: a path is always opened through this, so it
    is always the file it names. `mode` is `ro` or `rwc`.
    """
    return "file://" + urllib.parse.quote(os.fsencode(path.absolute())) + "?mode=" + mode


def _check_path(path: Path) -> bool:
    """Whether the database file exists; errors for paths that cannot be one."""
    try:
        st = path.stat()
    except (FileNotFoundError, NotADirectoryError):
        return False  # `init` then fails to make the folder (exit 73); `check` sees drift
    except OSError as exc:  # permission, a symlink loop, a name too long, …
        raise from_os(exc, path) from None
    if stat.S_ISDIR(st.st_mode):
        raise ConnectionFailed(f"Cannot open database {path}: it is a folder")
    if not stat.S_ISREG(st.st_mode):
        raise ConnectionFailed(f"Cannot open database {path}: not a regular file")
    return True


def open_read(path: Path, until: float) -> sqlite3.Connection | None:
    """Open read-only, never creating anything; None when the file does not exist."""
    if not _check_path(path):
        return None
    if not os.access(path, os.R_OK):
        raise PermissionDenied(f"Permission denied: cannot read {path}")
    uri = file_uri(path, "ro")
    try:
        conn = sqlite3.connect(uri, uri=True, isolation_level=None, check_same_thread=False)
        conn.execute(f"PRAGMA busy_timeout = {Retry.ms_until(until)}")
    except sqlite3.Error as exc:
        raise from_sqlite(exc, path) from None
    return conn


def open_write(path: Path) -> tuple[sqlite3.Connection, bool]:
    """Open for writing, creating parent folders and the file; (conn, created)."""
    parent = path.parent
    if not parent.exists():
        try:
            parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise from_os(exc, parent, creating_parent=True) from None
    elif not parent.is_dir():
        raise from_os(NotADirectoryError(20, "Not a directory"), parent, creating_parent=True)
    existed = _check_path(path)
    if existed and not os.access(path, os.W_OK):
        raise PermissionDenied(f"Database {path} is read-only")
    if not existed and not os.access(parent, os.W_OK):
        raise PermissionDenied(f"Cannot create database {path}: folder {parent} is read-only")
    try:
        conn = sqlite3.connect(
            file_uri(path, "rwc"), uri=True, isolation_level=None, check_same_thread=False
        )
    except sqlite3.Error as exc:
        raise from_sqlite(exc, path) from None
    return conn, not existed


class Progress(Protocol):
    """What the CLI shows while a repair runs (a rich bar on a TTY)."""

    def backup(self, remaining: int, total: int) -> None: ...

    def copy_started(self, table: str, rows: int) -> None: ...

    def copy_tick(self) -> None: ...

    def copy_finished(self) -> None: ...


def backup(path: Path, folder: Path | None, progress: Progress | None = None) -> Path:
    """Copy the committed database with SQLite's online backup API, from a
    connection of its own (safe while the caller holds the write lock)."""
    target_dir = folder if folder is not None else path.absolute().parent
    try:
        target_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise from_os(exc, target_dir, creating_parent=True, what="backup") from None
    if not os.access(target_dir, os.W_OK | os.X_OK):
        raise PermissionDenied(
            f"Cannot write the backup into {target_dir}: permission denied; nothing was changed"
        )
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    dest = target_dir / f"{path.name}.{stamp}.bak"
    n = 1
    while dest.exists():
        n += 1
        dest = target_dir / f"{path.name}.{stamp}-{n}.bak"
    # Written under a name no one mistakes for a backup, renamed once complete:
    # a run killed mid-copy leaves a `.partial` file, never a broken `.bak`. We
    # hold the write lock here, so any `.partial` left beside it is from such a run.
    for stale in target_dir.glob(f"{glob.escape(path.name)}.*.bak.partial*"):
        stale.unlink(missing_ok=True)
    partial = dest.with_name(dest.name + ".partial")
    uri = file_uri(path, "ro")
    t0 = time.perf_counter()
    try:
        src = sqlite3.connect(uri, uri=True)
        dst = sqlite3.connect(file_uri(partial, "rwc"), uri=True)
        try:
            src.backup(
                dst,
                pages=1024,
                progress=(lambda _s, rem, total: progress.backup(rem, total)) if progress else None,
            )
        finally:
            dst.close()
            src.close()
        os.replace(partial, dest)
    except sqlite3.Error as exc:
        partial.unlink(missing_ok=True)
        err = from_sqlite(exc, dest, during="backup")
        err.message = f"Backup to {dest} failed: {exc}; nothing was changed"
        raise err from None
    except OSError as exc:
        partial.unlink(missing_ok=True)
        raise from_os(exc, dest) from None
    log.info("backup.done", backup=str(dest.absolute()), ms=_ms(t0))
    return dest.absolute()


@dataclass(frozen=True, slots=True)
class Applied:
    plan: Plan  # the plan recomputed under the lock
    statements: tuple[str, ...]  # what ran (empty when nothing did)


def apply_plan(
    conn: sqlite3.Connection,
    path: Path,
    replan: Callable[[sqlite3.Connection], Plan],
    retry: Retry,
    history: dict[str, Any],
    *,
    rebuild: bool = False,
    before_write: Callable[[Plan], None] | None = None,
    progress: Progress | None = None,
) -> Applied:
    """Take the write lock, recompute the plan, run it, check it, commit it.

    `replan` returns the plan for the database as seen under the lock; when it
    is blocked or empty nothing runs and the transaction is rolled back.
    `before_write` may raise to stop (a refusal) before anything is written.
    """

    def attempt(until: float) -> Applied:
        begin_immediate(conn, until)
        # Inside the transaction (a COMMIT waiting for readers to finish), SQLite's
        # own handler may wait up to the overall time limit.
        conn.execute(f"PRAGMA busy_timeout = {Retry.ms_until(retry.deadline)}")
        locked = time.perf_counter()
        timings: list[tuple[str, float]] = []
        try:
            plan = replan(conn)
            if plan.blocked or plan.is_empty():
                conn.execute("ROLLBACK")
                return Applied(plan, ())
            if before_write is not None:
                before_write(plan)
            ran = _run(conn, plan, progress, timings)
            problem = foreign_key_problem(conn, tables=plan.checked)
            if problem is not None:
                problem.message += "; everything was rolled back"
                raise problem
            applied = {id(c) for step in plan.steps for c in step.changes}
            _record(conn, history, ran, len(applied))
            t0 = time.perf_counter()
            conn.execute("COMMIT")
            commit_ms, held_ms = _ms(t0), _ms(locked)
            _log_statements(timings)
            log.info(
                "apply.committed", statements=len(ran), commit_ms=commit_ms, lock_held_ms=held_ms
            )
            return Applied(plan, ran)
        except BaseException:
            roll_back(conn)
            _log_statements(timings, rolled_back=True)
            raise

    try:
        # Must run outside the transaction: inside one it is silently ignored.
        conn.execute("PRAGMA foreign_keys = OFF")
        if rebuild:
            conn.execute("PRAGMA legacy_alter_table = ON")
        return with_retry(attempt, retry, "apply")
    except DbInitError:
        raise
    except sqlite3.Error as exc:
        raise from_sqlite(exc, path, during="apply") from None
    except OSError as exc:
        raise from_os(exc, path) from None
    finally:
        if rebuild:
            with contextlib.suppress(sqlite3.Error):
                conn.execute("PRAGMA legacy_alter_table = OFF")


def _ms(t0: float) -> float:
    return round((time.perf_counter() - t0) * 1000, 3)


def _run(
    conn: sqlite3.Connection,
    plan: Plan,
    progress: Progress | None,
    timings: list[tuple[str, float]],
) -> tuple[str, ...]:
    """Execute the plan; `timings` collects (SQL, ms) to be logged once the lock
    is released, so logging never lengthens the time other writers wait."""
    for step in plan.steps:
        for st in step.statements:
            t0 = time.perf_counter()
            try:
                if st.copies and progress is not None:
                    _copy_with_progress(conn, st, progress)
                else:
                    conn.execute(st.sql, st.params)
            except sqlite3.IntegrityError as exc:
                raise explain_violation(conn, step, st, exc) from None
            timings.append((st.display(), _ms(t0)))
    return tuple(sql for sql, _ in timings)


def roll_back(conn: sqlite3.Connection) -> None:
    """Roll back, and make sure the file is restored even when a failed write
    (disk full, I/O error) already ended the transaction: SQLite then leaves a
    hot journal that only the next read on this connection plays back."""
    with contextlib.suppress(sqlite3.Error):
        if conn.in_transaction:
            conn.execute("ROLLBACK")
    with contextlib.suppress(sqlite3.Error):
        conn.execute("SELECT count(*) FROM sqlite_schema").fetchone()


def _log_statements(timings: list[tuple[str, float]], *, rolled_back: bool = False) -> None:
    for sql, ms in timings:
        if rolled_back:
            log.info("apply.statement", sql=sql, ms=ms, rolled_back=True)
        else:
            log.info("apply.statement", sql=sql, ms=ms)
    timings.clear()


def _copy_with_progress(conn: sqlite3.Connection, st: Statement, progress: Progress) -> None:
    (rows,) = conn.execute(f"SELECT count(*) FROM {quote_ident(st.copies or '')}").fetchone()
    progress.copy_started(st.copies or "", rows)

    def tick() -> int:
        progress.copy_tick()
        return 0

    conn.set_progress_handler(tick, 100_000)
    try:
        conn.execute(st.sql, st.params)
    finally:
        conn.set_progress_handler(None, 0)
        progress.copy_finished()


_NOT_NULL = re.compile(r"NOT NULL constraint failed: (?:[^.]+\.)?(.+)$")
_UNIQUE = re.compile(r"UNIQUE constraint failed: (.+)$")
_CHECK = re.compile(r"CHECK constraint failed: (.+)$")


def explain_violation(
    conn: sqlite3.Connection, step: Step, st: Statement, exc: sqlite3.IntegrityError
) -> DataError:
    """Which table, constraint and how many rows — and the query to find them."""
    text = str(exc).replace(REBUILD_PREFIX, "")
    table = st.copies
    if table is None:
        return DataError(
            f"{step.description} failed: {text}; everything was rolled back",
            details=f"sqlite3.IntegrityError: {text}",
        )
    source = {fold(new): old for new, old in step.columns}
    query: str | None = None
    what = text
    try:
        if m := _NOT_NULL.match(text):
            col = m.group(1)
            src = source.get(fold(col))
            if src is None:
                query = f"SELECT count(*) FROM {quote_ident(table)}"
                what = f"new column {col} is NOT NULL without a default"
            else:
                query = (
                    f"SELECT count(*) FROM {quote_ident(table)} WHERE {quote_ident(src)} IS NULL"
                )
                what = f"NOT NULL on {step.rebuild}.{col}: existing NULLs"
        elif m := _UNIQUE.match(text):
            cols = [c.split(".", 1)[-1] for c in m.group(1).split(", ")]
            srcs = ", ".join(quote_ident(source.get(fold(c), c)) for c in cols)
            groups = f"FROM {quote_ident(table)} GROUP BY {srcs} HAVING count(*) > 1"
            (count,) = conn.execute(
                f"SELECT coalesce(sum(n), 0) FROM (SELECT count(*) AS n {groups})"
            ).fetchone()
            return DataError(
                f"Rebuild of {step.rebuild} failed: UNIQUE ({', '.join(cols)}) over duplicate "
                f"values ({count} row(s)); everything was rolled back",
                details=f"find them with: SELECT {srcs}, count(*) {groups}",
            )
        elif m := _CHECK.match(text):
            what = f"CHECK ({m.group(1)}) on {step.rebuild}"
            query = f"SELECT count(*) FROM {quote_ident(table)} WHERE NOT ({m.group(1)})"
        if query is not None:
            (count,) = conn.execute(query).fetchone()
            finder = query.replace("SELECT count(*)", "SELECT rowid, *", 1)
            return DataError(
                f"Rebuild of {step.rebuild} failed: {what} ({count} row(s)); "
                "everything was rolled back",
                details=f"find them with: {finder}",
            )
    except sqlite3.Error:
        pass
    return DataError(
        f"Rebuild of {step.rebuild} failed: {text}; everything was rolled back",
        details=f"sqlite3.IntegrityError: {text}",
    )


def foreign_key_problem(
    conn: sqlite3.Connection,
    *,
    tables: tuple[str, ...] | None = None,
    exit_code: int | None = None,
) -> DataError | None:
    """`PRAGMA foreign_key_check` (of the whole database, or of `tables`) as an
    error naming tables and row counts, or None."""
    if tables is None:
        rows = conn.execute("PRAGMA foreign_key_check").fetchall()
    else:
        rows = [
            row
            for table in tables
            for row in conn.execute(f"PRAGMA foreign_key_check({quote_ident(table)})")
        ]
    if not rows:
        return None
    counts: dict[tuple[str, str], int] = {}
    for table, _rowid, parent, _fkid in rows:
        counts[(table, parent)] = counts.get((table, parent), 0) + 1
    parts = [f"{n} row(s) of {t} refer to missing rows of {p}" for (t, p), n in counts.items()]
    return DataError(
        "Foreign key check failed: " + "; ".join(parts),
        details=f"find them with: PRAGMA foreign_key_check({quote_ident(rows[0][0])})",
        exit_code=exit_code,
    )


def _record(
    conn: sqlite3.Connection, history: dict[str, Any], ran: tuple[str, ...], changes: int
) -> None:
    conn.execute(HISTORY_SQL)
    conn.execute(
        f"INSERT INTO {HISTORY_TABLE} (applied_at, command, dbinit_version, schema_checksum, "
        "statements, changes, outcome, duration_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (
            datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            history["command"],
            history["version"],
            history["checksum"],
            json.dumps(list(ran)),
            changes,
            "applied",
            round((time.monotonic() - history["started"]) * 1000, 3),
        ),
    )


def discard_if_new(path: Path, created: bool) -> None:
    """Remove a database file this run created and left empty (nothing was written)."""
    if not created:
        return
    try:
        if path.stat().st_size == 0:
            path.unlink()
            for suffix in ("-journal", "-wal", "-shm"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)
    except OSError:
        pass
