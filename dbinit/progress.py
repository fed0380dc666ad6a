"""Rich progress bars on stderr for `repair` (backup pages, rows being copied).

Only the CLI uses this, and only when stderr is a terminal.
"""

from __future__ import annotations

from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, Progress, TaskID, TextColumn, TimeElapsedColumn

from dbinit.errors import printable

LARGE_TABLE = 50_000  # rows; smaller copies finish before a bar is worth drawing


class RichProgress:
    def __init__(self, console: Console | None = None) -> None:
        self._bar = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            TextColumn("{task.fields[info]}"),
            TimeElapsedColumn(),
            console=console or Console(stderr=True),
            transient=True,
        )
        self._backup: TaskID | None = None
        self._copy: TaskID | None = None

    def backup(self, remaining: int, total: int) -> None:
        if self._backup is None:
            self._bar.start()
            self._backup = self._bar.add_task("backup", total=total, info=f"{total} pages")
        self._bar.update(self._backup, completed=total - remaining)
        if remaining == 0:
            self._bar.remove_task(self._backup)
            self._bar.stop()
            self._backup = None

    def copy_started(self, table: str, rows: int) -> None:
        if rows < LARGE_TABLE:
            return
        self._bar.start()
        # SQLite cannot say how many rows an INSERT … SELECT has copied so far:
        # the bar pulses while the copy runs and completes when it ends.
        # The description is rich markup: a table name is shown, never parsed.
        name = escape(printable(table))
        self._copy = self._bar.add_task(f"copy {name}", total=None, info=f"{rows:,} rows")

    def copy_tick(self) -> None:
        if self._copy is not None:
            self._bar.advance(self._copy)

    def copy_finished(self) -> None:
        if self._copy is not None:
            self._bar.remove_task(self._copy)
            self._bar.stop()
            self._copy = None


class CopyBar:
    """`dbinit copy`: one bar per table, counting the rows streamed."""

    def __init__(self, console: Console | None = None) -> None:
        self._bar = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            TextColumn("{task.completed:,}/{task.total:,} rows"),
            TimeElapsedColumn(),
            console=console or Console(stderr=True),
            transient=True,
        )
        self._task: TaskID | None = None

    def table_started(self, table: str, rows: int) -> None:
        self._bar.start()
        name = escape(printable(table))
        self._task = self._bar.add_task(f"copy {name}", total=max(rows, 1))

    def advance(self, rows: int) -> None:
        if self._task is not None:
            self._bar.advance(self._task, rows)

    def table_finished(self) -> None:
        if self._task is not None:
            self._bar.remove_task(self._task)
            self._bar.stop()
            self._task = None
