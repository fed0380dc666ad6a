"""`dbinit copy`, the PostgreSQL side: rows of a SQLite file into the target database.

One session holds dbinit's advisory lock of (database, managed schema); in one
transaction it locks the declared tables against writers (EXCLUSIVE: the app
may still read), refuses tables that already hold rows (unless `append`), drops
their foreign keys, then for each table in foreign-key order (parents first)
streams the source rows through `COPY … FROM STDIN`, moves the table's identity
and serial sequences forward to the copied maximum (never back), and verifies
the row count and an order-independent checksum against the source before the
next table; the foreign keys are added back with their definitions (one check
each, as pg_restore does, instead of one per row). The history row is written
in the same transaction. Any failure rolls everything back: nothing is written.

Values are converted in Python by the declared column type only where
PostgreSQL's own input parsing would read SQLite's value differently (a 0/1
into `boolean`, a REAL into `numeric(p,s)`, text into `bytea`, Unix seconds
into a timestamp, …); everything else goes as text and PostgreSQL parses it
(timestamps in TEXT, JSON in TEXT). A value PostgreSQL rejects is 3 / DB_005
naming the table, the column and the source row.

The checksum of a table is the sum (mod 2^64) of the first 64 bits of the MD5
of each row's canonical text. A column's canonical text is its value where
both sides can spell it identically (integers, text, varchar, json, boolean,
bytea as hex, numeric), and only whether it is NULL for the other types
(timestamps, jsonb, floating point, …), whose spelling PostgreSQL normalises.

Nothing here prints, parses options or configures logging.
"""

from __future__ import annotations

import hashlib
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Context, Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql
from psycopg.copy import QueuedLibpqWriter

from dbinit.backend import Copied, CopiedTable, CopyOptions
from dbinit.errors import DataError, DbInitError, Refused, TimeLimit, mask_url
from dbinit.logs import log
from dbinit.postgres.backend import (
    Desired,
    Snapshot,
    _connect,
    _guard,
    _record,
    _retry,
    _timeouts,
)
from dbinit.postgres.connect import advisory_key, advisory_lock, current_database, map_error
from dbinit.postgres.model import Column, Constraint, Schema, Table
from dbinit.run import Run
from dbinit.sqlite.source import Source, SourceTable
from dbinit.sqlite.sqltext import fold

Conn = psycopg.Connection[Any]
Convert = Callable[[Any], Any]
Canon = Callable[[Any], str]

_SEP = "\x1f"
_MASK = (1 << 64) - 1

# --- per-column conversion and canonical text -------------------------------------------

_INT = re.compile(r"\s*[+-]?\d+\s*")
_NUMBER = re.compile(r"\s*[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?\s*")
_WIDE = Context(prec=2000)
_BOOL_WORDS = (("true", True), ("false", False), ("yes", True), ("no", False))


class _Reject(ValueError):
    """A value that cannot become the column's type (raised before PostgreSQL sees it)."""


def _int(v: Any) -> Any:
    if isinstance(v, float) and v.is_integer():
        return int(v)  # SQLite may hold 3.0 where an INTEGER was meant
    if isinstance(v, str) and _INT.fullmatch(v):
        return int(v)
    return v  # PostgreSQL rejects it and names the row


def _parse_bool(text: str) -> bool | None:
    """PostgreSQL's boolean input (parse_bool): the words, their unique prefixes, on/off, 1/0."""
    s = text.strip().lower()
    if not s:
        return None
    for word, value in _BOOL_WORDS:
        if word.startswith(s):
            return value
    if s in ("t", "y", "1"):
        return True
    if s in ("f", "n", "0"):
        return False
    if len(s) >= 2 and "on".startswith(s):
        return True
    if len(s) >= 2 and "off".startswith(s):
        return False
    return None


def _bool(v: Any) -> Any:
    if isinstance(v, int | float) and v in (0, 1):
        return bool(v)
    if isinstance(v, str):
        parsed = _parse_bool(v)
        if parsed is not None:
            return parsed
    raise _Reject(f"{v!r} is not a boolean (0/1, true/false, yes/no, on/off)")


def _text(v: Any) -> Any:
    if isinstance(v, bytes):
        try:
            return v.decode("utf-8")
        except UnicodeDecodeError:
            raise _Reject("a BLOB that is not UTF-8 text") from None
    if isinstance(v, float):
        return repr(v)
    if isinstance(v, int):
        return str(v)
    return v


def _bytea(v: Any) -> Any:
    if isinstance(v, str):
        return v.encode("utf-8")
    if isinstance(v, int | float):
        return str(v).encode()
    return v


def _numeric(scale: int | None) -> Convert:
    step = Decimal(1).scaleb(-scale) if scale is not None else None

    def convert(v: Any) -> Any:
        if scale and type(v) is float:
            text = repr(v)  # fast path: fewer decimals than the scale, no exponent
            dot = text.find(".")
            digits = len(text) - dot - 1
            if dot > 0 and digits <= scale and "e" not in text and text != "-0.0":
                return text + "0" * (scale - digits)
        if isinstance(v, int):
            d = Decimal(v)
        elif isinstance(v, float):
            d = Decimal(repr(v))  # the shortest text that reads back as the same double
        elif isinstance(v, str) and _NUMBER.fullmatch(v):
            d = Decimal(v.strip())
        else:
            return v  # PostgreSQL decides (NaN, Infinity) or rejects it
        if not d.is_finite():
            return v
        if step is not None:
            try:  # numeric(p, s) rounds half away from zero, as PostgreSQL does
                d = d.quantize(step, rounding=ROUND_HALF_UP, context=_WIDE)
            except InvalidOperation:
                return v
        if d.is_zero():
            d = d.copy_abs()
        return format(d, "f")

    return convert


def _timestamp(aware: bool) -> Convert:
    def convert(v: Any) -> Any:
        if isinstance(v, int | float) and not isinstance(v, bool):
            try:  # Unix seconds, as SQLite's unixepoch() and strftime('%s') give
                moment = datetime.fromtimestamp(v, UTC)
            except (OverflowError, OSError, ValueError):
                raise _Reject(f"{v!r} is not a Unix time PostgreSQL can hold") from None
            return moment if aware else moment.replace(tzinfo=None)
        return v

    return convert


def _canon_bool(v: Any) -> str:
    return "t" if v else "f"


def _canon_hex(v: Any) -> str:
    return bytes(v).hex() if isinstance(v, bytes | bytearray | memoryview) else str(v)


@dataclass(frozen=True, slots=True)
class _Col:
    name: str  # in the target
    source: str  # in the source
    convert: Convert | None
    canon: Canon | None  # None: only whether the value is NULL counts
    pg_canon: sql.Composable  # the same canonical text, computed by PostgreSQL
    native: type | None = None  # a value of this type goes as it is, unconverted


def _column(col: Column, source: str) -> _Col:
    t = col.type
    ident = sql.Identifier(col.name)
    plain = sql.SQL("{}::text").format(ident)
    if t in ("smallint", "integer", "bigint"):
        return _Col(col.name, source, _int, str, plain, int)
    if t in ("text", "json") or t.startswith("character varying"):
        return _Col(col.name, source, _text, str, plain, str)
    if t == "boolean":
        pg = sql.SQL("CASE WHEN {} THEN 't' ELSE 'f' END").format(ident)
        return _Col(col.name, source, _bool, _canon_bool, pg)
    if t == "bytea":
        pg = sql.SQL("encode({}, 'hex')").format(ident)
        return _Col(col.name, source, _bytea, _canon_hex, pg, bytes)
    if t == "numeric" or t.startswith("numeric("):
        m = re.fullmatch(r"numeric\((\d+),(\d+)\)", t)
        return _Col(col.name, source, _numeric(int(m.group(2)) if m else None), str, plain)
    if t in ("timestamp with time zone", "timestamp without time zone"):
        convert = _timestamp(aware=t == "timestamp with time zone")
        return _Col(col.name, source, convert, None, sql.SQL("''"), str)
    return _Col(col.name, source, None, None, sql.SQL("''"))


# --- the copy plan: which tables and columns, in which order ------------------------------


@dataclass(frozen=True, slots=True)
class _Job:
    table: Table
    source: SourceTable
    columns: tuple[_Col, ...]


def _jobs(schema: Schema, source: Source, options: CopyOptions) -> tuple[list[_Job], list[str]]:
    notes: list[str] = []
    found = source.tables()
    declared = {fold(name): name for name in schema.tables}
    jobs: dict[str, _Job] = {}
    lost: list[str] = []
    for key, st in found.items():
        if key in declared:
            continue
        rows = source.count(st)
        if st.virtual:
            notes.append(
                f"source table {st.name} is a virtual table (or part of one) and is not copied "
                f"({rows} row(s)); PostgreSQL has no such table: rebuild it there from the "
                "copied rows (e.g. a tsvector column and a GIN index for full-text search)"
            )
        elif rows:
            lost.append(f"table {st.name} ({rows} row(s))")
        else:
            notes.append(f"source table {st.name} is not declared in the schema files (empty)")
    for name in sorted(schema.tables):
        table = schema.tables[name]
        match = found.get(fold(name))
        if match is None:
            notes.append(f"declared table {name} is not in the source: left as it is")
            continue
        st = match
        by_key = {fold(c.name): c for c in table.columns}
        cols: list[_Col] = []
        for src in st.columns:
            target = by_key.get(fold(src))
            if target is None:
                lost.append(f"column {st.name}.{src}")
            elif target.generated is not None:
                notes.append(
                    f"column {name}.{target.name} is generated in PostgreSQL: computed "
                    "there, its source values are not copied"
                )
            else:
                cols.append(_column(target, src))
        jobs[name] = _Job(table, st, tuple(cols))
    if lost and not options.allow_data_loss:
        more = f" (+{len(lost) - 5} more)" if len(lost) > 5 else ""
        raise Refused(
            f"The source holds data no schema file declares: {', '.join(lost[:5])}{more}; "
            "declare it (and run `dbinit init`), or pass --allow-data-loss to copy the rest "
            "without it; nothing was written",
        )
    notes += [f"not copied (--allow-data-loss): {what}" for what in lost]
    return _order(schema, jobs), notes


def _order(schema: Schema, jobs: dict[str, _Job]) -> list[_Job]:
    """Parents before children (foreign keys), by name among equals. The foreign keys
    are dropped for the copy and checked once at the end (`_drop_keys`), so a cycle
    needs no particular order: it is broken at its first table by name."""
    parents: dict[str, set[str]] = {name: set() for name in jobs}
    for name in jobs:
        for con in schema.tables[name].constraints:
            ref = con.ref_table
            if con.type == "f" and ref is not None and ref != name and ref in jobs:
                parents[name].add(ref)
    order: list[str] = []
    left = set(jobs)
    while left:
        ready = sorted(n for n in left if not parents[n] & left) or sorted(left)[:1]
        order.extend(ready)
        left -= set(ready)
    return [jobs[n] for n in order]


# --- the copy ------------------------------------------------------------------------------


class PostgresCopier:
    def copy(
        self, run: Run, desired: Desired, live: Snapshot, path: Path, options: CopyOptions
    ) -> Copied:
        with Source(path) as source:
            jobs, notes = _jobs(live.schema, source, options)
            with _guard(run, "copy"):
                return _copy(run, desired, source, jobs, notes, options)


COPIER = PostgresCopier()


def _copy(
    run: Run,
    desired: Desired,
    source: Source,
    jobs: list[_Job],
    notes: list[str],
    options: CopyOptions,
) -> Copied:
    schema = run.settings.pg_schema
    conn = _connect(run)
    try:
        key = advisory_key(current_database(conn), schema)
        with advisory_lock(conn, key, deadline=run.retry.deadline):
            log.info("lock.acquired", key=key)
            utf8 = _scalar(conn, "SHOW server_encoding") == "UTF8"

            def transaction() -> tuple[list[CopiedTable], list[str]]:
                with conn.transaction():
                    _timeouts(run, conn, local=True)
                    conn.execute(
                        sql.SQL("SET LOCAL search_path = {}").format(sql.Identifier(schema))
                    )
                    # Text timestamps without an offset are UTC in SQLite (CURRENT_TIMESTAMP,
                    # datetime('now')): read them so, whatever the role's time zone.
                    conn.execute("SET LOCAL TimeZone = 'UTC'")
                    before = _lock_and_check(conn, schema, jobs, options.append, utf8)
                    keys = _foreign_keys(conn, schema, jobs)
                    shown = _drop_keys(conn, schema, keys)
                    done: list[CopiedTable] = []
                    for job in jobs:
                        copied, statements = _one(
                            run, conn, schema, source, job, before[job.table.name], utf8, options
                        )
                        done.append(copied)
                        shown += statements
                    shown += _add_keys(conn, schema, keys)
                    _record(run, conn, desired, shown, 0, [])
                    return done, shown

            t0 = time.perf_counter()
            try:
                done, shown = _retry(run, transaction, "copy")
            except psycopg.errors.QueryCanceled:
                raise _time_limit() from None
            except DbInitError as exc:
                if "statement timeout" in (exc.details or "") or "cancel" in exc.message.lower():
                    raise _time_limit() from None
                raise
            log.info(
                "copy.committed",
                tables=len(done),
                rows=sum(t.rows for t in done),
                ms=round((time.perf_counter() - t0) * 1000, 3),
            )
            return Copied(tuple(done), tuple(shown), tuple(notes))
    finally:
        conn.close()


@dataclass(frozen=True, slots=True)
class _Key:
    table: str
    constraint: Constraint
    comment: str | None


def _foreign_keys(conn: Conn, schema: str, jobs: list[_Job]) -> list[_Key]:
    """The foreign keys of the tables copied into (with their comments)."""
    keys: list[_Key] = []
    for job in jobs:
        for con in job.table.constraints:
            if con.type != "f":
                continue
            comment = _scalar(
                conn,
                "SELECT obj_description(k.oid, 'pg_constraint') FROM pg_constraint k"
                " JOIN pg_class t ON t.oid = k.conrelid JOIN pg_namespace n"
                " ON n.oid = t.relnamespace WHERE n.nspname = %s AND t.relname = %s"
                " AND k.conname = %s",
                (schema, job.table.name, con.name),
            )
            keys.append(_Key(job.table.name, con, comment))
    return keys


def _drop_keys(conn: Conn, schema: str, keys: list[_Key]) -> list[str]:
    """Foreign keys are checked once, after every row is in (as pg_restore does):
    dropped here and added back, with the same definition, in the same transaction.
    A row per row check would cost more than the copy itself."""
    shown: list[str] = []
    for key in keys:
        statement = sql.SQL("ALTER TABLE {} DROP CONSTRAINT {}").format(
            sql.Identifier(schema, key.table), sql.Identifier(key.constraint.name)
        )
        conn.execute(statement)
        shown.append(statement.as_string(conn) + " -- added back after the copy")
    return shown


def _add_keys(conn: Conn, schema: str, keys: list[_Key]) -> list[str]:
    shown: list[str] = []
    for key in keys:
        con = key.constraint
        statement = sql.SQL("ALTER TABLE {} ADD CONSTRAINT {} {}{}").format(
            sql.Identifier(schema, key.table),
            sql.Identifier(con.name),
            sql.SQL(con.definition),  # pg_get_constraintdef, as the server printed it
            sql.SQL("" if con.validated else " NOT VALID"),
        )
        try:
            conn.execute(statement)
        except psycopg.Error as exc:
            state = getattr(exc, "sqlstate", None) or ""
            if state != "23503":
                raise
            detail = f": {mask_url(exc.diag.message_detail)}" if exc.diag.message_detail else ""
            raise DataError(
                f"{key.table}: foreign key {con.name} failed{detail}; nothing was written",
                details=f"psycopg.errors.{type(exc).__name__} [{state}]: "
                f"{mask_url((exc.diag.message_primary or str(exc)).strip())}",
            ) from None
        if key.comment is not None:
            conn.execute(
                sql.SQL("COMMENT ON CONSTRAINT {} ON {} IS {}").format(
                    sql.Identifier(con.name),
                    sql.Identifier(schema, key.table),
                    sql.Literal(key.comment),
                )
            )
        shown.append(statement.as_string(conn))
    return shown


def _time_limit() -> TimeLimit:
    return TimeLimit(
        "copy did not finish within the time limit; nothing was written: raise --timeout "
        "(DBINIT_INITIALIZATION_TIMEOUT) to the time the copy needs",
        retry_after=5,
    )


def _scalar(conn: Conn, query: str | sql.Composed, params: tuple[Any, ...] = ()) -> Any:
    row = conn.execute(query if not isinstance(query, str) else query.encode(), params).fetchone()
    return row[0] if row else None


def _lock_and_check(
    conn: Conn, schema: str, jobs: list[_Job], append: bool, utf8: bool
) -> dict[str, tuple[int, int]]:
    """Lock the tables against writers; refuse those holding rows unless `append`;
    (row count, checksum) of each before the copy."""
    if jobs:
        conn.execute(
            sql.SQL("LOCK TABLE {} IN EXCLUSIVE MODE").format(
                sql.SQL(", ").join(sql.Identifier(schema, j.table.name) for j in jobs)
            )
        )
    before: dict[str, tuple[int, int]] = {}
    full: list[str] = []
    for job in jobs:
        ident = sql.Identifier(schema, job.table.name)
        if not append:
            if _scalar(conn, sql.SQL("SELECT EXISTS (SELECT 1 FROM {})").format(ident)):
                full.append(job.table.name)
            before[job.table.name] = (0, 0)
        else:
            before[job.table.name] = _target_sums(conn, schema, job, utf8)
    if full:
        raise Refused(
            f"Target table(s) already hold rows: {', '.join(full)}; copy into empty tables, or "
            "pass --append to add the source rows to them; nothing was written"
        )
    return before


def _target_sums(conn: Conn, schema: str, job: _Job, utf8: bool) -> tuple[int, int]:
    ident = sql.Identifier(schema, job.table.name)
    if not utf8 or not job.columns:
        return int(_scalar(conn, sql.SQL("SELECT count(*) FROM {}").format(ident))), 0
    parts = sql.SQL(", ").join(
        sql.SQL("CASE WHEN {} IS NULL THEN 'N' ELSE 'V' || {} END").format(
            sql.Identifier(c.name), c.pg_canon
        )
        for c in job.columns
    )
    row = conn.execute(
        sql.SQL(
            "SELECT count(*), coalesce(sum(('x' || left(md5(concat_ws(chr(31), {})), 16))"
            "::bit(64)::bigint), 0) FROM {}"
        ).format(parts, ident)
    ).fetchone()
    assert row is not None
    return int(row[0]), int(row[1]) & _MASK


def _one(
    run: Run,
    conn: Conn,
    schema: str,
    source: Source,
    job: _Job,
    before: tuple[int, int],
    utf8: bool,
    options: CopyOptions,
) -> tuple[CopiedTable, list[str]]:
    name = job.table.name
    ident = sql.Identifier(schema, name)
    names = [c.name for c in job.columns]
    expected = source.count(job.source)
    progress = options.progress
    if progress is not None:
        progress.table_started(name, expected)
    statement = sql.SQL("COPY {} ({}) FROM STDIN").format(
        ident, sql.SQL(", ").join(sql.Identifier(n) for n in names)
    )
    shown = statement.as_string(conn)
    t0 = time.perf_counter()
    sent = 0
    total = 0
    converts = [(i, c) for i, c in enumerate(job.columns) if c.convert is not None]
    canons = [c.canon for c in job.columns]
    try:
        with conn.cursor() as cur, cur.copy(statement, writer=QueuedLibpqWriter(cur)) as copy:
            for batch in source.rows(job.source, [c.source for c in job.columns]):
                texts: list[str] = []
                for raw in batch:
                    sent += 1
                    row: Sequence[Any] = raw
                    if converts:
                        row = list(raw)
                        for i, col in converts:
                            value = row[i]
                            if value is not None and type(value) is not col.native:
                                try:
                                    row[i] = col.convert(value)  # type: ignore[misc]
                                except _Reject as exc:
                                    raise _bad_value(
                                        source, job, col.name, sent, str(exc)
                                    ) from None
                    if utf8:
                        texts.append(
                            _SEP.join(
                                [
                                    "N" if v is None else "V" + k(v) if k else "V"
                                    for v, k in zip(row, canons, strict=True)
                                ]
                            )
                        )
                    try:
                        copy.write_row(row)
                    except (psycopg.DataError, UnicodeError, ValueError) as exc:
                        raise _bad_value(source, job, _guess(row, names), sent, str(exc)) from None
                total += _hashes(texts)
                if progress is not None:
                    progress.advance(len(batch))
    except psycopg.Error as exc:
        raise _copy_error(exc, source, job) from None
    finally:
        if progress is not None:
            progress.table_finished()
    ms = round((time.perf_counter() - t0) * 1000, 3)
    t1 = time.perf_counter()
    statements = [f"{shown} -- {sent} row(s) from {job.source.name}"]
    moved = _sequences(conn, schema, job)
    statements += [f"SELECT setval('{seq}', {value}) -- the copied maximum" for seq, value in moved]
    after_count, after_sum = _target_sums(conn, schema, job, utf8)
    total &= _MASK
    if sent != expected or after_count - before[0] != sent:
        raise DataError(
            f"Verification failed for {name}: the source holds {expected} row(s), {sent} were "
            f"sent and the table gained {after_count - before[0]}; nothing was written"
        )
    if utf8 and (after_sum - before[1]) & _MASK != total:
        raise DataError(
            f"Verification failed for {name}: the checksum of the copied rows differs from the "
            "source's (a trigger or rule on the table may have changed them); nothing was written"
        )
    checksum = f"{total:016x}" if utf8 else "n/a (server encoding is not UTF8)"
    verify_ms = round((time.perf_counter() - t1) * 1000, 3)
    log.info("copy.table", table=name, rows=sent, checksum=checksum, ms=ms, verify_ms=verify_ms)
    return CopiedTable(name, sent, checksum, tuple(s for s, _ in moved)), statements


def _hashes(texts: list[str]) -> int:
    """The sum of the first 64 bits (signed) of the MD5 of each row's canonical text."""
    md5 = hashlib.md5
    return sum(
        int.from_bytes(md5(t.encode("utf-8", "surrogatepass")).digest()[:8], "big", signed=True)
        for t in texts
    )


def _guess(row: Sequence[Any], names: list[str]) -> str:
    """The column of a row psycopg could not encode (a lone surrogate, …)."""
    for value, name in zip(row, names, strict=True):
        if isinstance(value, str):
            try:
                value.encode("utf-8")
            except UnicodeError:
                return name
    return "?"


def _bad_value(source: Source, job: _Job, column: str, n: int, why: str) -> DataError:
    where = source.describe_row(job.source, n)
    return DataError(
        f"{job.table.name}.{column}, source row {where}: {mask_url(why)}; nothing was written",
        details=f"the value of source column {job.source.name}.{column} does not fit the "
        "declared column type",
    )


_CONTEXT = re.compile(r"COPY [^,]+, line (\d+)(?:, column ([^:]+))?")


def _copy_error(exc: psycopg.Error, source: Source, job: _Job) -> DbInitError:
    """A COPY the server refused: the row and column it names, in source terms."""
    state = getattr(exc, "sqlstate", None) or ""
    if state == "57014":
        return _time_limit()
    if not state.startswith(("22", "23")):
        return map_error(exc, during="copy")
    diag = exc.diag
    text = mask_url((diag.message_primary or str(exc)).strip())
    m = _CONTEXT.search(diag.context or "")
    column = (m.group(2) if m else None) or diag.column_name
    details = f"psycopg.errors.{type(exc).__name__} [{state}]: {text}"
    if diag.message_detail:
        details += f" ({mask_url(diag.message_detail)})"
    if state == "23503" or m is None:  # checked for the whole statement (foreign keys, …)
        what = f"constraint {diag.constraint_name}" if diag.constraint_name else "a constraint"
        detail = f": {mask_url(diag.message_detail)}" if diag.message_detail else ""
        return DataError(
            f"{job.table.name}: {what} failed: {text}{detail}; nothing was written",
            details=details,
        )
    where = source.describe_row(job.source, int(m.group(1)))
    col = f".{column}" if column else ""
    return DataError(
        f"{job.table.name}{col}, source row {where}: {text}; nothing was written",
        details=details,
    )


def _sequences(conn: Conn, schema: str, job: _Job) -> list[tuple[str, int]]:
    """Move each identity or serial sequence of the table's copied columns to the
    column's maximum, never back (an ascending sequence only)."""
    moved: list[tuple[str, int]] = []
    table = sql.Identifier(schema, job.table.name).as_string(conn)
    for col in job.columns:
        seq = _scalar(conn, "SELECT pg_get_serial_sequence(%s, %s)", (table, col.name))
        if seq is None:
            continue
        info = conn.execute(
            "SELECT n.nspname, c.relname, q.seqincrement FROM pg_class c"
            " JOIN pg_namespace n ON n.oid = c.relnamespace"
            " JOIN pg_sequence q ON q.seqrelid = c.oid WHERE c.oid = %s::regclass",
            (seq,),
        ).fetchone()
        if info is None or info[2] <= 0:
            continue
        seq_ident = sql.Identifier(info[0], info[1])
        state = conn.execute(
            sql.SQL("SELECT last_value, is_called FROM {}").format(seq_ident)
        ).fetchone()
        top = _scalar(
            conn,
            sql.SQL("SELECT max({}) FROM {}").format(
                sql.Identifier(col.name), sql.Identifier(schema, job.table.name)
            ),
        )
        if top is None or state is None:
            continue
        last, called = int(state[0]), bool(state[1])
        if top > last or (top == last and not called):
            conn.execute("SELECT setval(%s::regclass, %s, true)", (seq, int(top)))
            moved.append((seq, int(top)))
    return moved
