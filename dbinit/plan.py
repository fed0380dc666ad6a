"""The plan as data: ordered steps of SQL statements, and the policy that chose them.

Engine-neutral: each engine's planner (`dbinit/<engine>/plan.py`) turns typed
changes into a `Plan`; `--dry-run` prints the very plan that the engine's
apply step executes. Nothing here builds SQL or looks at a database.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from dbinit.changes import Change
from dbinit.errors import Refused

# Why `init` blocks a change; an engine may add reasons of its own after it.
INIT_REASON = "needs `dbinit repair` (init applies only safe changes)"


class Mode(StrEnum):
    INIT = "init"  # safe changes only; extra objects are left alone
    REPAIR = "repair"  # everything, under the guards of `Policy`


@dataclass(frozen=True, slots=True)
class Policy:
    mode: Mode
    allow_data_loss: bool = False
    prune: bool = False


@dataclass(frozen=True, slots=True)
class Statement:
    sql: str
    params: tuple[str | int, ...] = ()
    copies: str | None = None  # the live table an INSERT … SELECT copies rows from
    shown: str | None = None  # the statement with its parameters inlined (engine-rendered)
    # Runs outside the plan's transaction, after it commits, each on its own
    # (PostgreSQL's CREATE INDEX CONCURRENTLY, VALIDATE CONSTRAINT, ...).
    online: bool = False
    # Committed on its own, before the prechecks and the plan's transaction
    # (PostgreSQL's enum `ADD VALUE`: no transaction may use a value it added).
    early: bool = False

    def display(self) -> str:
        """The statement as it runs, parameters inlined: what is shown and recorded."""
        return self.shown if self.shown is not None else self.sql


@dataclass(frozen=True, slots=True)
class Step:
    description: str
    statements: tuple[Statement, ...]
    changes: tuple[Change, ...]
    rebuild: str | None = None  # the table a 12-step rebuild step rebuilds
    columns: tuple[tuple[str, str], ...] = ()  # rebuild: (new column, live column) copied
    loses: str = ""  # rebuild: why rows or values cannot be carried over ("" when none are lost)
    # Looked at before anything is applied: (what is checked, a query counting the
    # rows that would break it, a query finding them); a count > 0 refuses the plan.
    prechecks: tuple[tuple[str, str, str], ...] = ()


@dataclass(frozen=True, slots=True)
class Plan:
    steps: tuple[Step, ...] = ()
    skipped: tuple[Change, ...] = ()  # extra objects `init` leaves alone
    blocked: tuple[Change, ...] = ()  # changes the policy does not allow
    blocked_reason: str = ""
    changes: tuple[Change, ...] = field(default=())  # every change, with its SQL
    checked: tuple[str, ...] = ()  # tables whose foreign keys the plan can affect
    refused: str = ""  # why this plan cannot be applied whatever the flags ("" when it can)

    @property
    def statements(self) -> list[Statement]:
        return [s for step in self.steps for s in step.statements]

    @property
    def needs_rebuild(self) -> bool:
        return any(step.rebuild for step in self.steps)

    def is_empty(self) -> bool:
        return not self.steps


def change_label(c: Change) -> str:
    where = f"{c.table}.{c.column}" if c.column else c.name
    return f"{where} ({c.kind.value})"


def refusal(plan: Plan, command: str) -> Refused:
    """The refusal of a blocked plan, naming every blocked change and why."""
    if plan.refused:
        return Refused(plan.refused, details="nothing was changed")
    names = ", ".join(change_label(c) for c in plan.blocked)
    if command == "init":
        more = "; ".join(r for r in plan.blocked_reason.split("; ") if r and r != INIT_REASON)
        return Refused(
            f"init applies only safe changes; {len(plan.blocked)} change(s) need "
            f"`dbinit repair`: {names}" + (f" ({more})" if more else ""),
            details="nothing was changed; run `dbinit repair --dry-run` to see the rebuild plan",
        )
    return Refused(f"{plan.blocked_reason}: {names}", details="nothing was changed")
