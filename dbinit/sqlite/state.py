"""The remembered desired state on SQLite (docs/usage.md): dbinit's table
`_dbinit_state` in the database file, one row per key (see `dbinit.remember`).

`lookup` only reads (a read-only connection; a missing file, table or row, or
any error, is a miss). `record` writes the row inside the transaction of a run
that applies something: an in-sync run writes nothing on SQLite (docs/usage.md),
so a database nobody changed since it was made elsewhere is read from the files
until its next change. Nothing on the table may run code inside dbinit's
transaction: a trigger, view or index that names it means the model is not
recorded (a warning), never a failure.
"""

from __future__ import annotations

import sqlite3
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from dbinit import remember
from dbinit.errors import DbInitError
from dbinit.logs import log
from dbinit.sqlite import desired as desired_module
from dbinit.sqlite import model as model_module
from dbinit.sqlite.apply import open_read
from dbinit.sqlite.desired import LintIssue
from dbinit.sqlite.introspect import STATE_TABLE
from dbinit.sqlite.model import Schema
from dbinit.sqlite.sqltext import fold

STATE_SQL = f"""CREATE TABLE IF NOT EXISTS {STATE_TABLE} (
    key TEXT PRIMARY KEY,
    recorded_at TEXT NOT NULL,
    dbinit_version TEXT NOT NULL,
    digest TEXT NOT NULL,
    model TEXT NOT NULL
) WITHOUT ROWID"""

_CLASSES = remember.registry(model_module, desired_module)


def key(checksum: str, app_functions: tuple[str, ...], app_collations: tuple[str, ...]) -> str:
    """The files' checksum, this SQLite library's version and the application's
    functions and collations (the lint accepts them) decide what the files mean."""
    parts = {"app_functions": sorted(app_functions), "app_collations": sorted(app_collations)}
    return remember.state_key(checksum, "sqlite", sqlite3.sqlite_version, parts)


def lookup(path: Path, state_key: str) -> tuple[Schema, tuple[LintIssue, ...]] | None:
    """The model stored under `state_key` in the database at `path`, if any. Never
    waits for a lock: a database another process holds is a miss here, and the
    read that follows waits (and reports) as it always does."""
    try:
        conn = open_read(path, time.monotonic())
    except (DbInitError, sqlite3.Error, OSError):
        return None  # the read that follows reports it
    if conn is None:
        return None
    try:
        row = conn.execute(
            f"SELECT digest, model FROM {STATE_TABLE} WHERE key = ?", (state_key,)
        ).fetchone()
    except sqlite3.Error:
        return None  # no such table (never recorded), or not ours
    finally:
        conn.close()
    if row is None:
        return None
    value = remember.loads(row[1], row[0], _CLASSES, tuple)
    if (
        value is None
        or len(value) != 2
        or not isinstance(value[0], Schema)
        or not all(isinstance(issue, LintIssue) for issue in value[1])
    ):
        return None
    return value[0], value[1]


def encode(schema: Schema, lint: Any) -> str:
    """The stored text of a model: made before the write lock is taken (it takes
    as long as reading the model back), so the lock is held for the INSERT alone."""
    return remember.dumps((schema, tuple(lint)))


def record(conn: sqlite3.Connection, state_key: str, text: str) -> None:
    """Record the model `text` (from `encode`) in the caller's write transaction,
    unless something of anyone else's is on the table (it would run inside
    dbinit's transaction): then it is left unrecorded, with a warning; the run
    itself goes on. The newest `remember.KEEP` models are kept."""
    from dbinit import __version__

    blocker = _blocker(conn)
    if blocker:
        log.warning("desired.not_remembered", reason=blocker)
        return
    conn.execute(STATE_SQL)
    conn.execute(
        f"INSERT OR REPLACE INTO {STATE_TABLE} (key, recorded_at, dbinit_version, digest, model) "
        "VALUES (?, ?, ?, ?, ?)",
        (
            state_key,
            datetime.now(UTC).isoformat(timespec="microseconds"),
            __version__,
            remember.seal(text),
            text,
        ),
    )
    conn.execute(
        f"DELETE FROM {STATE_TABLE} WHERE key NOT IN "
        f"(SELECT key FROM {STATE_TABLE} ORDER BY recorded_at DESC LIMIT ?)",
        (remember.KEEP,),
    )
    log.info("desired.remembered", key=state_key[:12])


def _blocker(conn: sqlite3.Connection) -> str | None:
    for otype, name, tbl_name in conn.execute(
        "SELECT type, name, tbl_name FROM sqlite_schema WHERE type <> 'table'"
    ):
        if fold(tbl_name if otype == "trigger" else name) == STATE_TABLE or (
            otype in ("trigger", "index") and fold(tbl_name) == STATE_TABLE
        ):
            return f"{otype} {name} is on dbinit's table {STATE_TABLE}"
    return None
