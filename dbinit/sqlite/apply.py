"""Opening the database, retrying on locks, and applying a plan in one transaction.

Writes run inside one `BEGIN IMMEDIATE` transaction; the plan is recomputed
after the lock is taken (the caller passes a `replan` function), checked with
`PRAGMA foreign_key_check`, recorded in `_dbinit_history`, then committed.
Any failure rolls everything back. This module decides nothing about which
changes are allowed: that is `plan.py`'s policy.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import json
import math
import os
import random
import re
import secrets
import sqlite3
import stat
import time
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

from dbinit.backend import Progress
from dbinit.errors import (
    ConnectionFailed,
    DatabaseLocked,
    DataError,
    DbInitError,
    IOFailure,
    PermissionDenied,
    Refused,
    from_os,
)
from dbinit.logs import log
from dbinit.plan import Plan, Statement, Step
from dbinit.run import Retry
from dbinit.sqlite.errors import from_sqlite, is_busy, sqlite_error_name, stopped
from dbinit.sqlite.introspect import HISTORY_TABLE, history_problem
from dbinit.sqlite.plan import REBUILD_PREFIX
from dbinit.sqlite.sqltext import fold, quote_ident

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
    _poll(conn, "BEGIN IMMEDIATE", until)


def _poll(conn: sqlite3.Connection, sql: str, until: float) -> None:
    """Run `sql`, retrying a busy error every few milliseconds (with jitter)
    until `until`; then the busy error is raised."""
    pause = 0.0005
    while True:
        try:
            conn.execute(sql)
            return
        except sqlite3.OperationalError as exc:
            if not is_busy(exc) or time.monotonic() + pause >= until:
                raise
        time.sleep(pause * random.uniform(0.5, 1.5))
        pause = min(pause * 1.5, 0.005)


# How long COMMIT may keep the app's new readers out while it waits for the old
# ones to finish (rollback-journal mode), before it gives the attempt up; and how
# long it then lets them in before the next attempt (a waiting reader's busy
# handler looks again every 100 ms).
READER_WINDOW = 0.5
READER_GAP = 0.25


def commit(conn: sqlite3.Connection, deadline: float) -> None:
    """COMMIT, waiting for the readers of a rollback-journal database to finish.

    While COMMIT waits, SQLite holds the PENDING lock, which keeps every *new*
    reader out: so the wait ends after READER_WINDOW (or at the overall
    deadline) with the busy error, the caller rolls back (letting the readers
    in) and retries. In WAL mode COMMIT never waits for readers.
    """
    _poll(conn, "COMMIT", min(deadline, time.monotonic() + READER_WINDOW))


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
    had_wal_files = _wal_files(path)
    conn = _connect(path, "ro", until, _ReadConnection)
    try:
        # The first read meets what a crashed writer left behind.
        conn.execute("PRAGMA schema_version").fetchone()
    except sqlite3.OperationalError as exc:
        conn.close()
        name = getattr(exc, "sqlite_errorname", "")
        if name == "SQLITE_CANTOPEN" and _on_read_only_fs(path):
            return _open_immutable(path, until)
        if name != "SQLITE_READONLY_ROLLBACK":
            raise
        recover_hot_journal(path, until)
        conn = _connect(path, "ro", until, _ReadConnection)
    if not had_wal_files and isinstance(conn, _ReadConnection):
        conn.tidy = path
    return conn


def _wal_files(path: Path) -> bool:
    """Whether the database's `-wal` or `-shm` file exists."""
    return Path(f"{path}-wal").exists() or Path(f"{path}-shm").exists()


class _ReadConnection(sqlite3.Connection):
    """A read-only connection that, once closed, removes the `-wal` and `-shm`
    files SQLite created for it on a WAL database (`tidy`: the database, when
    they did not exist before it opened)."""

    tidy: Path | None = None

    def close(self) -> None:
        super().close()
        path, self.tidy = self.tidy, None
        if path is not None:
            _tidy_wal(path)


def _tidy_wal(path: Path) -> None:
    """Reading a WAL database creates its `-wal` and `-shm` files, and a read-only
    connection cannot remove them when it closes last. SQLite's own clean-up does
    instead: a read-write connection that closes last, and only then, deletes them
    (holding the database's exclusive lock, so never under another connection).
    Only an empty `-wal` is tidied this way (its checkpoint writes nothing);
    otherwise, or when the file is read-only, they stay: SQLite's own files,
    removed by the next writer that closes last."""
    wal = Path(f"{path}-wal")
    try:
        if wal.stat().st_size != 0 or not os.access(path, os.W_OK):
            return
    except OSError:
        return
    with contextlib.suppress(sqlite3.Error):
        conn = sqlite3.connect(file_uri(path, "rw"), uri=True, isolation_level=None)
        try:
            conn.execute("PRAGMA busy_timeout = 0")
            conn.execute("PRAGMA schema_version").fetchone()
        finally:
            conn.close()


def _on_read_only_fs(path: Path) -> bool:
    try:
        return bool(os.statvfs(path).f_flag & os.ST_RDONLY)
    except OSError:
        return False


def _open_immutable(path: Path, until: float) -> sqlite3.Connection:
    """A WAL database on a read-only filesystem: SQLite cannot create its `-shm`,
    but nothing can write the file either, so it is read as immutable — unless
    its WAL holds committed changes, which only the `-shm` lets SQLite read."""
    wal = Path(f"{path}-wal")
    if wal.exists() and wal.stat().st_size > 0:
        raise ConnectionFailed(
            f"Database {path} is on a read-only filesystem and its write-ahead log {wal} "
            f"holds changes SQLite cannot read without {path}-shm",
            details="mount the filesystem read-write and open the database once (any dbinit "
            "command does): SQLite then checkpoints the log into the file",
        )
    conn = _connect(path, "ro&immutable=1", until)
    try:
        conn.execute("PRAGMA schema_version").fetchone()
    except BaseException:
        conn.close()
        raise
    log.info("database.immutable", reason="WAL database on a read-only filesystem")
    return conn


def _connect(
    path: Path, mode: str, until: float, factory: type[sqlite3.Connection] = sqlite3.Connection
) -> sqlite3.Connection:
    """A connection by URI (`mode=ro` or `rw`: never creates the file)."""
    uri = file_uri(path, mode)
    try:
        conn = sqlite3.connect(
            uri, uri=True, isolation_level=None, check_same_thread=False, factory=factory
        )
        conn.execute(f"PRAGMA busy_timeout = {Retry.ms_until(until)}")
    except sqlite3.Error as exc:
        raise from_sqlite(exc, path) from None
    return conn


def recover_hot_journal(path: Path, until: float) -> None:
    """Roll back the hot journal of a writer that crashed mid-transaction.

    A read-only connection cannot (SQLITE_READONLY_ROLLBACK); the first read
    of a read-write one does, as SQLite's own recovery: the file returns to its
    last committed state and no schema is written.
    """
    journal = Path(f"{path}-journal")
    if not os.access(path, os.W_OK) or not os.access(path.absolute().parent, os.W_OK | os.X_OK):
        raise PermissionDenied(
            f"Database {path} has a hot journal {journal} left by a writer that crashed, "
            "and rolling it back needs write access to the file and its folder",
            details="run `dbinit init` (or open the database read-write once) as a user "
            "who can write there; SQLite then rolls the journal back",
        )
    conn = _connect(path, "rw", until)
    try:
        conn.execute("PRAGMA schema_version").fetchone()
    finally:
        conn.close()
    log.warning(
        "database.recovered",
        journal=str(journal),
        message="rolled back the hot journal of a writer that crashed (SQLite's own "
        "recovery: the last committed state, no schema change)",
    )


FileId = tuple[int, int]  # (st_dev, st_ino)


def open_write(path: Path) -> tuple[sqlite3.Connection, FileId | None]:
    """Open for writing, creating parent folders and the file; (conn, created):
    `created` identifies the file when this call created it, else None."""
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
        if _on_read_only_fs(path):
            raise PermissionDenied(f"Database {path} is on a read-only filesystem")
        raise PermissionDenied(f"Database {path} is read-only")
    if not existed and not os.access(parent, os.W_OK):
        raise PermissionDenied(f"Cannot create database {path}: folder {parent} is read-only")
    created = None if existed else _create(path)
    try:
        conn = sqlite3.connect(
            file_uri(path, "rwc"), uri=True, isolation_level=None, check_same_thread=False
        )
    except sqlite3.Error as exc:
        raise from_sqlite(exc, path) from None
    return conn, created


def _create(path: Path) -> FileId | None:
    """Create the empty file as SQLite would (mode 0644), exclusively: its identity,
    or None when another process created it first (it is then theirs)."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    except FileExistsError:
        _check_path(path)
        return None
    except OSError as exc:
        raise from_os(exc, path) from None
    try:
        st = os.fstat(fd)
    finally:
        os.close(fd)
    return st.st_dev, st.st_ino


def backup(
    path: Path,
    folder: Path | None,
    progress: Progress | None = None,
    written: Callable[[Path], None] | None = None,
) -> Path:
    """Copy the committed database with SQLite's online backup API, from a
    connection of its own (safe while the caller holds the write lock).

    The name is unique per database and per run: `NAME.STAMP.TAG-PID-RANDOM.bak`,
    TAG a hash of the database's real path, so same-named databases sharing a
    backup folder never meet. A failure (or a signal) removes the run's
    `.partial` file and its journal; other runs' files are never touched.
    `written(final path)` is called as soon as the backup exists, so a caller
    interrupted right after still knows what to remove.
    """
    target_dir = folder if folder is not None else path.absolute().parent
    try:
        target_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise from_os(exc, target_dir, creating_parent=True, what="backup") from None
    if not os.access(target_dir, os.W_OK | os.X_OK):
        raise PermissionDenied(
            f"Cannot write the backup into {target_dir}: permission denied; nothing was changed"
        )
    tag = hashlib.sha256(os.fsencode(path.resolve())).hexdigest()[:8]
    _backup_name_fits(path, target_dir)
    # Written under a name no one mistakes for a backup, renamed once complete:
    # a run killed mid-copy leaves a `.partial` file, never a broken `.bak`. We
    # hold this database's write lock, so a `.partial` with its tag is from such
    # a run; those of other databases (another tag) are left alone.
    leftover = re.compile(
        rf"{re.escape(path.name)}\.\d{{8}}T\d{{6}}Z\.{tag}-\d+-[0-9a-f]{{6}}\.bak"
        r"\.partial(?:-journal|-wal|-shm)?"
    )
    with contextlib.suppress(OSError):
        for stale in target_dir.iterdir():
            if leftover.fullmatch(stale.name):
                stale.unlink(missing_ok=True)
    uri = file_uri(path, "ro")
    t0 = time.perf_counter()
    partial = dest = None

    def step(_status: int, remaining: int, total: int) -> None:
        # Always set: between chunks the interpreter runs signal handlers, so a
        # SIGTERM stops a long copy instead of waiting for its end.
        if progress is not None:
            progress.backup(remaining, total)

    try:
        partial, dest = _claim_backup_name(path, target_dir, tag)
        final = dest.absolute()
        src = sqlite3.connect(uri, uri=True)
        try:
            dst = sqlite3.connect(file_uri(partial, "rwc"), uri=True)
            try:
                src.backup(dst, pages=1024, progress=step)
            finally:
                dst.close()
        finally:
            src.close()
        os.replace(partial, dest)
        if written is not None:
            written(final)
        log.info("backup.done", backup=str(final), ms=_ms(t0))
    except BaseException as exc:
        # Everything this process wrote for this database's backup (its pid is in
        # the name): a signal may land at any instruction, even before `dest` is set.
        own = re.compile(
            rf"{re.escape(path.name)}\.\d{{8}}T\d{{6}}Z\.{tag}-{os.getpid()}-[0-9a-f]{{6}}\.bak"
            r"(?:\.partial(?:-journal|-wal|-shm)?)?"
        )
        with contextlib.suppress(OSError):
            for mine in target_dir.iterdir():
                if own.fullmatch(mine.name):
                    mine.unlink(missing_ok=True)
        if dest is None:
            raise
        if isinstance(exc, sqlite3.Error):
            err = from_sqlite(exc, dest, during="backup")
            err.message = f"Backup to {dest} failed: {exc}; nothing was changed"
            raise err from None
        if isinstance(exc, OSError):
            raise from_os(exc, dest) from None
        raise
    return final


# What a backup's name adds to the database's: `.STAMP.TAG-PID-RANDOM.bak.partial-journal`
# (`-journal`: SQLite's journal of the `.partial` file while the copy is written).
_BACKUP_SUFFIX = len(".20260101T000000Z.01234567-4194304-012345.bak.partial-journal")


def _backup_name_fits(path: Path, target_dir: Path) -> None:
    """The backup's name (and its journal's) must fit the filesystem's name limit:
    73 (cannot create) before anything is written, never a failure half way."""
    try:
        limit = os.pathconf(target_dir, "PC_NAME_MAX")
    except (OSError, ValueError):
        limit = 255
    size = len(os.fsencode(path.name)) + _BACKUP_SUFFIX
    if size > limit:
        raise IOFailure(
            f"Cannot create the backup of {path} in {target_dir}: its file name would be too "
            f"long for the filesystem ({size} bytes, at most {limit}); nothing was changed. "
            "Give the database a shorter file name, or skip the backup with --no-backup",
            details=f"OSError: [Errno {errno.ENAMETOOLONG}] {os.strerror(errno.ENAMETOOLONG)}",
            exit_code=73,
        )


def _claim_backup_name(path: Path, target_dir: Path, tag: str) -> tuple[Path, Path]:
    """Create this run's `.partial` file exclusively; (partial, final name)."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    while True:
        dest = target_dir / f"{path.name}.{stamp}.{tag}-{os.getpid()}-{secrets.token_hex(3)}.bak"
        partial = dest.with_name(dest.name + ".partial")
        try:
            if dest.exists():
                continue
            os.close(os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))
        except FileExistsError:
            continue
        except OSError as exc:
            raise from_os(exc, partial, creating=True, what="backup") from None
        return partial, dest


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
    on_commit: Callable[[tuple[str, ...]], None] | None = None,
    before_commit: Callable[[Plan], None] | None = None,
) -> Applied:
    """Take the write lock, recompute the plan, run it, check it, commit it.

    `on_commit` is called with what ran the moment the transaction is committed,
    also when a signal's interrupt arrives right after the COMMIT (the
    connection is then out of its transaction): what was committed is never
    reported as rolled back.

    `replan` returns the plan for the database as seen under the lock; when it
    is blocked or empty nothing runs and the transaction is rolled back.
    `before_write` may raise to stop (a refusal) before anything is written;
    `before_commit`, once the plan ran and its foreign keys were checked, may
    raise to roll everything back.
    """

    def attempt(until: float) -> Applied:
        # Inside the transaction SQLite's busy handler stays off (`begin_immediate`
        # sets busy_timeout 0): its timeout would restart at every wait. A cache
        # spill that meets readers is skipped (the cache grows); COMMIT waits in
        # `commit`, bounded by a short window and the overall time limit.
        begin_immediate(conn, until)
        locked = time.perf_counter()
        timings: list[tuple[str, float]] = []
        committing = False
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
            if before_commit is not None:
                before_commit(plan)
            applied = {c for step in plan.steps for c in step.changes}
            _record(conn, history, ran, len(applied))
            if history.get("remember") is not None:
                history["remember"](conn)  # the desired model, in the same transaction
            t0 = time.perf_counter()
            committing = True
            commit(conn, retry.deadline)
            if on_commit is not None:
                on_commit(ran)
            commit_ms, held_ms = _ms(t0), _ms(locked)
            _log_statements(timings)
            log.info(
                "apply.committed", statements=len(ran), commit_ms=commit_ms, lock_held_ms=held_ms
            )
            return Applied(plan, ran)
        except BaseException as exc:
            if committing and isinstance(exc, KeyboardInterrupt) and not conn.in_transaction:
                # The COMMIT went through before the signal's interrupt was raised.
                if on_commit is not None:
                    on_commit(ran)
                _log_statements(timings)
                raise
            roll_back(conn)
            _log_statements(timings, rolled_back=True)
            if committing and is_busy(exc):  # let the readers COMMIT kept out in first
                time.sleep(max(0.0, min(READER_GAP, retry.remaining())))
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
        with contextlib.suppress(sqlite3.Error):  # for the verification that follows
            conn.execute(f"PRAGMA busy_timeout = {max(Retry.ms_until(retry.deadline), 1000)}")
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
    is released, so logging never lengthens the time other writers wait.

    While a statement runs inside SQLite, a signal's Python handler cannot run;
    the progress handler gives it a chance every few thousand SQLite steps, and
    SQLite then stops the statement: the stop becomes the signal's interrupt,
    so a SIGTERM does not wait for a long copy to end (everything rolls back)."""
    conn.set_progress_handler(_go_on, _STEPS)
    try:
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
                except sqlite3.OperationalError as exc:
                    if sqlite_error_name(exc) == "SQLITE_INTERRUPT":
                        raise _stopped() from None
                    raise
                timings.append((st.display(), _ms(t0)))
    finally:
        conn.set_progress_handler(None, 0)
    return tuple(sql for sql, _ in timings)


_STEPS = 10_000  # SQLite virtual-machine steps between two looks at pending signals


def _go_on() -> int:
    # Entering this frame runs pending signal handlers; one that raises makes
    # SQLite interrupt the statement (the exception itself stays in SQLite).
    return 0


def _stopped() -> KeyboardInterrupt:
    """The interrupt that stopped a statement: the CLI's signal, else Ctrl-C in
    an application that kept Python's own SIGINT handler."""
    return stopped()


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

    conn.set_progress_handler(tick, 100_000)  # also a look at pending signals
    try:
        conn.execute(st.sql, st.params)
    finally:
        conn.set_progress_handler(_go_on, _STEPS)
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
            # SQLite names an unnamed CHECK by a fragment of its text (`n` for
            # `CHECK ("n" >= 0 AND "n" <= 3)`): count the rows against every CHECK the
            # new table declares, as written, over the rows as they are copied.
            broken = _broken_checks(conn, step, table)
            if broken:
                shown = ", ".join(f"{c} on {step.rebuild} ({n} row(s))" for c, _, n in broken)
                ors = " OR ".join(f"NOT ({expr})" for _, expr, _ in broken)
                rows = _copied_rows(step, table)
                finder = f"SELECT {'rowid, ' if rows == quote_ident(table) else ''}* FROM {rows}"
                return DataError(
                    f"Rebuild of {step.rebuild} failed: {shown}; everything was rolled back",
                    details=f"find them with: {finder} WHERE {ors}",
                )
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


def _copied_rows(step: Step, table: str) -> str:
    """The live table, or a subquery naming its columns as the new table does."""
    if all(new == old for new, old in step.columns):
        return quote_ident(table)
    cols = ", ".join(f"{quote_ident(old)} AS {quote_ident(new)}" for new, old in step.columns)
    return f"(SELECT {cols} FROM {quote_ident(table)})"


def _broken_checks(conn: sqlite3.Connection, step: Step, table: str) -> list[tuple[str, str, int]]:
    """(declared constraint, its expression, rows breaking it) for each CHECK of the
    rebuilt table that some copied row breaks (a NULL result passes, as in SQLite)."""
    from sqlite_utils.create_table_parser import ParseError, parse_checks

    create = next((st.sql for st in step.statements if st.sql[:12].upper() == "CREATE TABLE"), "")
    try:
        declared = parse_checks(create) if "CHECK" in create.upper() else []
    except ParseError:
        return []
    rows = _copied_rows(step, table)
    broken: list[tuple[str, str, int]] = []
    for check in declared:
        try:
            (count,) = conn.execute(
                f"SELECT count(*) FROM {rows} WHERE NOT ({check.check})"
            ).fetchone()
        except sqlite3.Error:
            continue  # refers to a column that is not copied: nothing to count
        if count:
            name = f"CONSTRAINT {check.name} " if check.name else ""
            broken.append((f"{name}CHECK ({check.check})", check.check, int(count)))
    return broken


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
    """Append this run to the history table; never runs anybody's code.

    A trigger on the history table (or on a view that took its name) would fire
    inside this transaction, where it could change anything. We hold the write
    lock, so what is checked here is what the INSERT would meet: any such
    object (left after the plan ran, so one the plan drops does not count)
    makes the run a refusal and everything is rolled back.
    """
    blockers = [
        (otype, name)
        for otype, name, tbl_name in conn.execute(
            "SELECT type, name, tbl_name FROM sqlite_schema WHERE type <> 'table'"
        )
        if fold(tbl_name if otype == "trigger" else name) == HISTORY_TABLE
        and otype in ("trigger", "view", "index")
    ]
    problem = history_problem(conn)
    if problem:
        raise Refused(problem, details="nothing was changed")
    if blockers:
        names = ", ".join(f"{otype} {name}" for otype, name in blockers)
        drops = "; ".join(f"DROP {otype.upper()} {quote_ident(name)}" for otype, name in blockers)
        raise Refused(
            f"Cannot record this run in {HISTORY_TABLE} (dbinit's own table): {names} is on "
            "it or has its name, and would fire inside dbinit's transaction or stand in its "
            "way; nothing was changed",
            details=(
                "remove it with `dbinit repair --prune` (which drops it before recording) "
                f"or by hand: {drops}"
            ),
        )
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


def discard_if_new(path: Path, created: FileId | None) -> None:
    """Remove the database file this run created (`created`, from `open_write`) if
    it is still that very file (device and inode), still empty, and no journal,
    WAL or shared-memory file shows another process writing into it."""
    if created is None:
        return
    try:
        st = path.stat()
        if (st.st_dev, st.st_ino) != created or st.st_size != 0:
            return
        if any(Path(f"{path}{suffix}").exists() for suffix in ("-journal", "-wal", "-shm")):
            return
        path.unlink()
    except OSError:
        pass
