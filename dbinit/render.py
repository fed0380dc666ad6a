"""Report → stdout: one JSON document, or rich tables grouped by safety and a verdict.

stdout carries the report and nothing else. This module does not log and
does not decide exit codes.
"""

from __future__ import annotations

import json
import sys
from typing import TYPE_CHECKING

from dbinit.diff import Change, Safety
from dbinit.report import APPLIED, DRIFT, IN_SYNC, PLANNED, Report

if TYPE_CHECKING:
    from rich.console import Console

_GROUPS = (
    (Safety.SAFE, "Safe changes", "green"),
    (Safety.REBUILD, "Rebuild changes (dbinit repair)", "yellow"),
    (Safety.DESTRUCTIVE, "Extra objects (not declared)", "magenta"),
)


def render(report: Report, fmt: str, *, quiet: bool = False, show_sql: bool = False) -> None:
    if fmt == "json":
        json.dump(report.to_dict(), sys.stdout)  # streamed: no second copy of every SQL text
        sys.stdout.write("\n")
        sys.stdout.flush()
        return
    from rich.console import Console

    width = None if sys.stdout.isatty() else 120
    console = Console(file=sys.stdout, highlight=False, soft_wrap=False, width=width)
    if report.rows is not None and report.error is None:
        # The listing is the report itself: --quiet drops only the remarks.
        (_history if report.command == "history" else _inspect)(console, report, quiet)
        return
    if quiet:
        if report.error is not None:
            _error_panel(console, report)
        return
    tables(console, report.changes)
    if report.plan and (show_sql or report.command != "check"):
        _plan(console, report.plan)
    if report.backup:
        console.print(f"Backup: {report.backup}")
    for note in report.notes:
        console.print(f"[yellow]warning:[/] {note}")
    if report.error is not None:
        _error_panel(console, report)
    else:
        console.print(verdict(report))


def tables(console: Console, changes: list[Change]) -> None:
    """The changes as rich tables, one per safety class."""
    from rich.table import Table

    for safety, title, colour in _GROUPS:
        group = [c for c in changes if c.safety is safety]
        if not group:
            continue
        table = Table(
            title=f"{title}: {len(group)}", title_justify="left", title_style=f"bold {colour}"
        )
        table.add_column("change", style=colour, no_wrap=True)
        table.add_column("object", overflow="fold")
        table.add_column("detail", overflow="fold")
        for c in group:
            obj = f"{c.table}.{c.column}" if c.column else c.name
            table.add_row(c.kind.value, f"{c.object} {obj}", c.detail)
        console.print(table)


def _plan(console: Console, statements: list[str]) -> None:
    """The plan in the order it runs, each statement whole (copy-pasteable)."""
    console.print(f"[bold]Plan[/]: {len(statements)} statement(s), in one transaction")
    for sql in statements:
        console.out(sql + ";", highlight=False)


def verdict(report: Report) -> str:
    n = len(report.changes)
    extras = n - len(report.drift)
    warn = f" ({extras} extra object(s) not declared)" if extras else ""
    rebuild = sum(c.safety is Safety.REBUILD for c in report.changes)
    if report.status == IN_SYNC:
        if (
            report.command == "validate"
            and report.checks.get("integrity") == "skipped"
            and not report.changes
        ):
            return f"[green]✓[/] Valid: schema files in {report.schema_dir} are lint-clean{warn}"
        return f"[green]✓[/] In sync: {report.database} matches {report.schema_dir}{warn}"
    if report.status == DRIFT:
        if not report.drift:
            return (
                f"[red]✗[/] {extras} object(s) in {report.database} are not declared in "
                f"{report.schema_dir}: declare them, drop them with `dbinit repair "
                "--allow-data-loss --prune`, or pass --allow-extra"
            )
        hint = "run `dbinit repair`" if rebuild else "run `dbinit init`"
        return (
            f"[red]✗[/] Drift: {len(report.drift)} change(s) between {report.database} and "
            f"{report.schema_dir}{warn}; {hint}"
        )
    if report.status == PLANNED:
        return (
            f"[cyan]•[/] Dry run: would apply {len(report.plan)} statement(s); nothing was changed"
        )
    if report.status == APPLIED:
        warn = warn if report.command == "init" else ""
        return (
            f"[green]✓[/] Applied {len(report.applied)} statement(s) to {report.database}; "
            f"verified in sync{warn}"
        )
    return f"{report.status}"


def _error_panel(console: Console, report: Report) -> None:
    from rich.markup import escape
    from rich.panel import Panel

    err = report.error
    assert err is not None
    body = escape(err.message)
    if err.details:
        body += f"\n[dim]{escape(err.details)}[/]"
    if err.retry_after:
        body += f"\n[dim]retry after {err.retry_after} s[/]"
    title = f"{err.error_code} {err.error} (exit {report.exit_code})"
    console.print(Panel(body, title=title, title_align="left", border_style="red"))


def _inspect(console: Console, report: Report, quiet: bool) -> None:
    if report.notes:
        if not quiet:
            for note in report.notes:
                console.print(f"[green]✓[/] {note}")
        return
    for row in report.rows or []:
        console.print(f"-- file: {row['file']}", style="dim")
        console.out(row["sql"])


def _history(console: Console, report: Report, quiet: bool) -> None:
    from rich.table import Table

    rows = report.rows or []
    if not rows:
        if not quiet:
            console.print(f"No runs recorded in {report.database} yet.")
        return
    table = Table(title=f"dbinit history of {report.database}", title_justify="left")
    for name in (
        "applied at",
        "command",
        "version",
        "schema",
        "changes",
        "statements",
        "outcome",
        "ms",
    ):
        table.add_column(name, no_wrap=name != "statements")
    for row in rows:
        statements = row["statements"]
        first = [s.splitlines()[0] if s else s for s in statements[:3]]
        more = f"\n… +{len(statements) - 3} more" if len(statements) > 3 else ""
        table.add_row(
            str(row["applied_at"]),
            str(row["command"]),
            str(row["dbinit_version"]),
            str(row["schema_checksum"])[:12],
            str(row["changes"]),
            "\n".join(first) + more,
            str(row["outcome"]),
            f"{row['duration_ms']:.1f}",
        )
    console.print(table)
