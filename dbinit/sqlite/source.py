"""A SQLite file as the source of `dbinit copy`: its tables, columns and rows, read-only.

The file is opened `file:…?mode=ro` (never created, never written: a hot
journal stays where it is). Rows are streamed in a stable order (rowid, or the
primary key of a WITHOUT ROWID table) in batches, so memory stays flat
whatever the table's size, and the n-th row streamed can be found again to
name it in an error. This module never touches the target database.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from dbinit.errors import ConnectionFailed, PermissionDenied
from dbinit.sqlite.sqltext import fold, quote_ident

BATCH = 5_000  # rows fetched at a time


@dataclass(frozen=True, slots=True)
class SourceTable:
    name: str
    columns: tuple[str, ...]  # stored columns, in order (hidden and generated left out)
    order: tuple[str, ...]  # the ORDER BY that streams rows in a stable order
    rowid: bool  # True: `order` is the rowid, and errors name a row by it
    virtual: bool = False  # a virtual table (FTS, …) or one of its shadow tables

    @property
    def key(self) -> str:
        return fold(self.name)


class Source:
    """An open, read-only SQLite source file."""

    def __init__(self, path: Path) -> None:
        self.path = path
        if not path.exists():
            raise ConnectionFailed(
                f"Source database {path} does not exist: --from names the SQLite file to copy "
                "rows from (sqlite:///relative.db, sqlite:////absolute.db or a path)",
                exit_code=66,
            )
        if path.is_dir():
            raise ConnectionFailed(f"Source database {path} is a folder, not a SQLite file")
        uri = f"file:{quote(str(path.resolve()))}?mode=ro"
        try:
            self.conn = sqlite3.connect(uri, uri=True, isolation_level=None)
            self.conn.execute("PRAGMA query_only = ON")
            # The whole copy reads one snapshot of the file.
            self.conn.execute("BEGIN")
            self.conn.execute("SELECT count(*) FROM sqlite_schema").fetchone()
        except sqlite3.Error as exc:
            text = str(exc)
            if "unable to open" in text and not _readable(path):
                raise PermissionDenied(
                    f"Permission denied: cannot read the source database {path}",
                    details=f"sqlite3: {text}",
                ) from None
            raise ConnectionFailed(
                f"Source {path} is not a SQLite database it can read: {text}",
                details=f"sqlite3.{type(exc).__name__}: {text}",
            ) from None

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> Source:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def tables(self) -> dict[str, SourceTable]:
        """Every table, keyed by its folded name (SQLite compares names that way);
        SQLite's own tables and dbinit's are left out."""
        listed = [
            (name, kind, bool(wr))
            for schema, name, kind, _ncol, wr, _strict in self.conn.execute(
                "PRAGMA main.table_list"
            )
            if schema == "main"
        ]
        found: dict[str, SourceTable] = {}
        for name, kind, without_rowid in sorted(listed):
            low = fold(name)
            if low.startswith(("sqlite_", "_dbinit_")) or kind == "view":
                continue
            virtual = kind in ("virtual", "shadow")
            columns: list[str] = []
            pk: list[tuple[int, str]] = []
            for col, pkpos, hidden in self.conn.execute(
                "SELECT name, pk, hidden FROM pragma_table_xinfo(?)", (name,)
            ):
                if hidden == 0:  # not a virtual table's hidden column, not generated
                    columns.append(col)
                if pkpos:
                    pk.append((pkpos, col))
            if without_rowid:
                order, rowid = tuple(c for _, c in sorted(pk)), False
            else:
                order, rowid = ("rowid",), True
            found[low] = SourceTable(name, tuple(columns), order, rowid, virtual)
        return found

    def count(self, table: SourceTable) -> int:
        row = self.conn.execute(f"SELECT count(*) FROM {quote_ident(table.name)}").fetchone()
        return int(row[0])

    def rows(self, table: SourceTable, columns: list[str]) -> Iterator[list[tuple[object, ...]]]:
        """Batches of rows (the given columns) in the table's stable order."""
        cols = ", ".join(quote_ident(c) for c in columns) or "NULL"
        order = ", ".join(_order(c) for c in table.order)
        cur = self.conn.execute(f"SELECT {cols} FROM {quote_ident(table.name)} ORDER BY {order}")
        while batch := cur.fetchmany(BATCH):
            yield batch

    def describe_row(self, table: SourceTable, n: int) -> str:
        """The n-th row (1-based) of `rows()`, named by its rowid or primary key."""
        keys = ", ".join(_order(c) for c in table.order)
        row = self.conn.execute(
            f"SELECT {keys} FROM {quote_ident(table.name)} ORDER BY {keys} LIMIT 1 OFFSET ?",
            (max(0, n - 1),),
        ).fetchone()
        if row is None:
            return f"row {n}"
        return ", ".join(f"{name}={value!r}" for name, value in zip(table.order, row, strict=True))


def _order(column: str) -> str:
    return "rowid" if column == "rowid" else quote_ident(column)


def _readable(path: Path) -> bool:
    try:
        with path.open("rb"):
            return True
    except OSError:
        return False
