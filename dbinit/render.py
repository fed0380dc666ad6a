"""Report → stdout: one JSON document, or rich tables grouped by safety and a verdict.

stdout carries the report and nothing else. This module does not log and
does not decide exit codes.
"""

from __future__ import annotations

import errno
import json
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING

from dbinit.changes import Change, Safety
from dbinit.errors import printable
from dbinit.report import APPLIED, DRIFT, IN_SYNC, PLANNED, WROTE, Deploy, Report

if TYPE_CHECKING:
    from rich.console import Console

# The text report's groups: declared differences by safety class, then the
# objects no file declares, then those dbinit does not manage. Which group a
# change is in comes from its facts (`extra`, `unmanaged`), never from its kind.
_GROUPS: tuple[tuple[Callable[[Change], bool], str, str], ...] = (
    (lambda c: c.drift and c.safety is Safety.SAFE, "Safe changes", "green"),
    (lambda c: c.drift and c.safety is Safety.REBUILD, "Rebuild changes (dbinit repair)", "yellow"),
    (
        lambda c: c.drift and c.safety is Safety.DESTRUCTIVE,
        "Destructive changes (dbinit repair --allow-data-loss)",
        "red",
    ),
    (lambda c: c.extra, "Extra objects (not declared)", "magenta"),
    (lambda c: c.unmanaged, "Not managed by dbinit (never changed)", "dim"),
)


def shown(text: object) -> str:
    """`text` for rich markup: its `[...]` shown, not parsed, and control
    characters escaped (a hostile name must not drive the terminal)."""
    from rich.markup import escape

    return escape(printable(str(text)))


def cell(text: object) -> str:
    """`shown(text)` on one line: a newline or a tab in a name would break the row."""
    return shown(str(text).replace("\t", "\\t").replace("\r", "\\r").replace("\n", "\\n"))


def render(
    report: Report,
    fmt: str,
    *,
    quiet: bool = False,
    show_sql: bool = False,
    show_changes: bool = True,
) -> None:
    """`quiet`: only the verdict, the drift and errors. `show_changes` False: the
    change table was already shown (by the repair prompt)."""
    if fmt == "markdown":  # `dbinit plan`: the pull-request comment
        sys.stdout.write(_plan_markdown(report))
        sys.stdout.flush()
        return
    if fmt == "text" and report.command == "plan" and report.plan_file and not report.error:
        # `dbinit plan`: the plan file itself.
        doc = report.plan_file.get("text")
        if doc is None:
            doc = "-- dbinit plan: nothing to plan; no file written\n"
        elif report.plan_file.get("written"):
            doc += f"-- wrote {report.plan_file['file']}\n"
        sys.stdout.write(doc)
        sys.stdout.flush()
        return
    if fmt == "json":
        json.dump(report.to_dict(), sys.stdout)  # streamed: no second copy of every SQL text
        sys.stdout.write("\n")
        sys.stdout.flush()
        return
    if fmt == "mermaid" and report.entities is not None and report.error is None:
        from dbinit.entities import mermaid

        sys.stdout.write(mermaid(report.entities))
        sys.stdout.flush()
        return
    if isinstance(report, Deploy) and report.steps:
        for step in report.steps:  # each step's own report under its command line
            _deploy_step(step, quiet=quiet)
        return
    from rich.console import Console

    width = None if sys.stdout.isatty() else 120
    console = Console(file=sys.stdout, highlight=False, soft_wrap=False, width=width)
    setattr(console, "on_broken_pipe", _broken_pipe)  # noqa: B010
    if report.rows is not None and report.error is None:
        # The listing is the report itself: --quiet drops only the remarks.
        (_history if report.command == "history" else _inspect)(console, report, quiet)
        return
    if quiet:
        if report.error is not None:
            _error_panel(console, report)
            return
        if report.status == DRIFT:
            tables(console, [c for c in report.changes if not c.unmanaged])
        console.print(verdict(report))
        return
    if show_changes:
        tables(console, report.changes)
    if report.plan and (show_sql or report.command != "check"):
        _plan(console, report.plan, report.plan_online)
    if report.backup:
        console.print(f"Backup: {shown(report.backup)}")
    for note in report.notes:
        console.print(f"[yellow]warning:[/] {shown(note)}")
    if report.error is not None:
        _error_panel(console, report)
    else:
        console.print(verdict(report))


def _deploy_step(step: Report, *, quiet: bool) -> None:
    from rich.console import Console

    width = None if sys.stdout.isatty() else 120
    console = Console(file=sys.stdout, highlight=False, soft_wrap=False, width=width)
    setattr(console, "on_broken_pipe", _broken_pipe)  # noqa: B010
    console.print(f"[bold]dbinit {shown(step.command)}[/]")
    render(step, "text", quiet=quiet)


def _broken_pipe() -> None:
    """rich exits 1 (the drift code) on a closed pipe: raise it as the I/O error
    it is, so that the caller reports 74."""
    raise BrokenPipeError(errno.EPIPE, "Broken pipe")


def tables(console: Console, changes: list[Change]) -> None:
    """The changes as rich tables, one per safety class."""
    from rich.table import Table

    for belongs, title, colour in _GROUPS:
        group = [c for c in changes if belongs(c)]
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
            detail = shown(c.detail)
            for h in c.hazards:  # what applying it does to a running app (PostgreSQL)
                detail += f"\n[dim]hazard {shown(h.type)}: {shown(h.detail)}[/]"
            table.add_row(c.kind.value, cell(f"{c.object} {obj}"), detail)
        console.print(table)


def _plan(console: Console, statements: list[str], online: int = 0) -> None:
    """The plan in the order it runs, each statement whole (copy-pasteable); the
    last `online` statements run after the transaction commits, each on its own."""
    n = len(statements)
    inside = n - online
    if online and not inside:
        console.print(f"[bold]Plan[/]: {n} statement(s), each on its own (not in a transaction)")
    elif online:
        console.print(
            f"[bold]Plan[/]: {n} statement(s): {inside} in one transaction, "
            f"then {online} after it commits"
        )
    else:
        console.print(f"[bold]Plan[/]: {n} statement(s), in one transaction")
    for i, sql in enumerate(statements):
        if online and inside and i == inside:
            console.out("-- after the transaction commits, each on its own:", highlight=False)
        console.out(printable(sql) + ";", highlight=False)


def verdict(report: Report) -> str:
    database, schema_dir = shown(report.database), shown(report.schema_dir)
    extras = len(report.extras)
    warn = f" ({extras} extra object(s) not declared)" if extras else ""
    rebuild = sum(c.safety is not Safety.SAFE for c in report.drift)
    if report.status == IN_SYNC:
        if (
            report.command == "validate"
            and report.checks.get("integrity") == "skipped"
            and not report.changes
        ):
            return f"[green]✓[/] Valid: schema files in {schema_dir} are lint-clean{warn}"
        return f"[green]✓[/] In sync: {database} matches {schema_dir}{warn}"
    if report.status == DRIFT:
        if not report.drift:
            return (
                f"[red]✗[/] {extras} object(s) in {database} are not declared in "
                f"{schema_dir}: declare them (`dbinit inspect` prints their SQL), drop them "
                "with `dbinit repair --allow-data-loss --prune`, or pass --allow-extra"
            )
        hint = "run `dbinit repair`" if rebuild else "run `dbinit init`"
        return (
            f"[red]✗[/] Drift: {len(report.drift)} change(s) between {database} and "
            f"{schema_dir}{warn}; {hint}"
        )
    if report.status == PLANNED:
        return (
            f"[cyan]•[/] Dry run: would apply {len(report.plan)} statement(s); nothing was changed"
        )
    if report.status == APPLIED and report.copied is not None:
        rows = sum(int(t["rows"]) for t in report.copied)
        return (
            f"[green]✓[/] Copied {rows:,} row(s) into {len(report.copied)} table(s) of "
            f"{database}; row counts and checksums verified"
        )
    if report.status == APPLIED:
        # An approved plan file applied its destructive changes: no extras are left.
        warn = warn if report.command == "init" and report.plan_file is None else ""
        by = (
            f" with the approved plan file {shown(report.plan_file.get('file'))}"
            if report.plan_file
            else ""
        )
        return (
            f"[green]✓[/] Applied {len(report.applied)} statement(s) to {database}{by}; "
            f"verified in sync{warn}"
        )
    return f"{report.status}"


def _error_panel(console: Console, report: Report) -> None:
    from rich.panel import Panel

    err = report.error
    assert err is not None
    body = shown(err.message)
    if err.details:
        body += f"\n[dim]{shown(err.details)}[/]"
    if err.retry_after:
        body += f"\n[dim]retry after {err.retry_after} s[/]"
    title = f"{err.error_code} {err.error} (exit {report.exit_code})"
    console.print(Panel(body, title=title, title_align="left", border_style="red"))


def _inspect(console: Console, report: Report, quiet: bool) -> None:
    written = [n for n in report.notes if n.startswith(WROTE)]
    warnings = [n for n in report.notes if not n.startswith(WROTE)]
    for note in warnings:  # SQL comments: the printed schema stays valid SQL
        console.out(f"-- warning: {printable(note)}", highlight=False)
    if written:
        if not quiet:
            for note in written:
                console.print(f"[green]✓[/] {shown(note)}")
        return
    for row in report.rows or []:
        console.print(f"-- file: {shown(row['file'])}", style="dim")
        if sys.stdout.isatty():
            console.out(printable(row["sql"]), highlight=False)
        else:  # a pipe or a file gets the exact SQL (rich would drop control characters)
            sys.stdout.write(row["sql"] + "\n")
            sys.stdout.flush()


def _first_line(sql: str) -> str:
    """A statement on one line for a table cell: its first line, `…` when more
    follows (the cell cuts a long line to its width; JSON keeps the whole text)."""
    lines = sql.strip().splitlines() or [""]
    return lines[0].rstrip() + (" …" if len(lines) > 1 else "")


def _history(console: Console, report: Report, quiet: bool) -> None:
    from rich.table import Table
    from rich.text import Text

    rows = report.rows or []
    if not rows:
        if not quiet:
            console.print(f"No runs recorded in {shown(report.database)} yet.")
        return
    table = Table(title=f"dbinit history of {shown(report.database)}", title_justify="left")
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
        first = [_first_line(s) for s in statements[:3]]
        more = f"\n… +{len(statements) - 3} more" if len(statements) > 3 else ""
        table.add_row(
            shown(row["applied_at"]),
            shown(row["command"]),
            shown(row["dbinit_version"]),
            shown(str(row["schema_checksum"])[:12]),
            shown(row["changes"]),
            Text(printable("\n".join(first) + more), no_wrap=True, overflow="ellipsis"),
            shown(row["outcome"]),
            f"{row['duration_ms']:.1f}",
        )
    console.print(table)


def _plan_markdown(report: Report) -> str:
    """The plan as a pull-request comment, then the verdict (approved, or why not)."""
    info = report.plan_file or {}
    doc = info.get("markdown") or ""
    if not doc and report.error is None:
        return "### dbinit plan: nothing to plan\n\nThe base matches the schema files.\n"
    if not doc:
        doc = "### dbinit plan\n"
    if report.error is not None:
        doc += (
            f"\n**✗ {report.status}** (exit {report.exit_code}): "
            f"{printable(report.error.message)}\n"
        )
    elif info.get("checked") and info.get("needs_approval"):
        doc += f"\n**✓ Approved**: `{info.get('approved_by')}` in this branch matches the plan.\n"
    return doc
