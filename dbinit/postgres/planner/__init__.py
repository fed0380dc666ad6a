"""Pure planning for PostgreSQL: typed changes → ordered SQL steps. The plan is data.

Transactional statements run in one transaction, in step order; statements
marked `online` run after it commits, each on its own, in step order too
(postgres.md "Applying"). The online techniques:

* a new index on an existing table: `CREATE INDEX CONCURRENTLY`; a changed or
  invalid index: built concurrently under a `_dbinit_` name, the old one dropped
  concurrently, the new one renamed;
* CHECK / FOREIGN KEY on an existing table: `ADD ... NOT VALID` in the
  transaction, `VALIDATE CONSTRAINT` online; UNIQUE / PRIMARY KEY: a unique
  index built concurrently, then `ADD CONSTRAINT ... USING INDEX`;
* `SET NOT NULL` through a validated `CHECK (col IS NOT NULL)`, dropped after;
* enum `ADD VALUE` first, committed on its own before the prechecks and the
  transaction (a value added cannot be used by the transaction that adds it).

Order: drops of dependants (comments, triggers, views, constraints) and of
tables and columns first; then extensions, types, sequences, functions (in
the order the files created them), tables, columns, sequence owners,
constraints, indexes, views, triggers, comments; extra functions, sequences,
types and extensions are dropped last. Statements expect `search_path` set to
the managed schema (the server printed the definitions that way). Every
identifier is quoted; nothing here reads SQL text to decide what a change is:
the models say.
"""

from __future__ import annotations

from dataclasses import replace

from dbinit.changes import Change, Kind, Safety
from dbinit.plan import INIT_REASON, Mode, Plan, Policy, Statement, Step
from dbinit.postgres.compare import Comparison
from dbinit.postgres.compare.unmanaged import is_history_hook, is_unmanaged
from dbinit.postgres.model import HISTORY_TABLE, Schema
from dbinit.postgres.planner.builder import _Builder
from dbinit.postgres.planner.text import UNSUPPORTED_REASON
from dbinit.postgres.quote import ident as qi

# Extras that hold rows: pruning them also needs --allow-data-loss.
_HOLDS_ROWS = frozenset({Kind.EXTRA_TABLE, Kind.EXTRA_COLUMN, Kind.EXTRA_PARTITION})


PRUNE_REASON = (
    "removing undeclared tables or columns (even empty ones) needs --allow-data-loss "
    "with --prune; to keep them, leave out --prune or declare them "
    "(`dbinit inspect` prints their SQL)"
)


LOSS_REASON = "changes that drop or narrow values need --allow-data-loss"


def is_extra(c: Change) -> bool:
    return c.extra


def make_plan(found: Comparison, desired: Schema, policy: Policy) -> Plan:
    """Order the changes `compare` found into steps; record which ones the
    policy blocks. The steps see the live schema `compare` saw: hinted renames
    run first, and every other step sees the names they give.

    `init` applies only safe changes (a non-safe one blocks with INIT_REASON)
    and leaves extra objects alone; `repair` keeps extras unless `--prune`;
    pruning anything that holds rows (tables, columns) and every destructive
    change that is not an extra (narrowing, dropping enum values) also needs
    `--allow-data-loss`. Objects dbinit does not manage are never planned.
    """
    prune = policy.prune and policy.mode is Mode.REPAIR
    changes = found.changes
    builder = _Builder(desired, found.live, found.renames)
    hooks = [c for c in changes if is_history_hook(c)]
    planned = [
        c
        for c in changes
        if not is_unmanaged(c) and not is_history_hook(c) and (prune or not is_extra(c))
    ]
    steps = builder.build(planned)
    by_change: dict[Change, list[Statement]] = {}
    for step in steps:
        for ch in step.changes:
            by_change.setdefault(ch, []).extend(step.statements)
    skipped: list[Change] = []
    blocked: list[Change] = []
    reasons: list[str] = []
    annotated: list[Change] = []
    blocked_set: set[Change] = set()

    def block(c: Change, reason: str) -> None:
        blocked_set.add(c)
        if reason not in reasons:
            reasons.append(reason)

    for c in changes:
        if is_unmanaged(c) or is_history_hook(c):
            pass
        elif is_extra(c) and not prune:
            skipped.append(c)
        elif c in builder.unsupported:
            block(c, f"{builder.unsupported[c]}: {UNSUPPORTED_REASON}")
        elif policy.mode is Mode.INIT and c.safety is not Safety.SAFE:
            block(c, INIT_REASON)
        elif policy.mode is Mode.REPAIR and not policy.allow_data_loss:
            if c.kind in _HOLDS_ROWS:
                block(c, PRUNE_REASON)
            elif c.safety is Safety.DESTRUCTIVE and not is_extra(c):
                block(c, LOSS_REASON)
    for c in changes:
        detail = c.detail
        if is_extra(c) and not prune:
            detail += "; kept (`--prune` removes it; `dbinit inspect` prints its SQL to declare it)"
        a = replace(
            c,
            sql=tuple(s.display() for s in by_change.get(c, ())),
            detail=detail,
            hazards=builder.hazards.get(c, c.hazards),  # as the plan carries it out
        )
        annotated.append(a)
        if c in blocked_set:
            blocked.append(a)
        elif is_extra(c) and not prune:
            skipped[skipped.index(c)] = a
    kept_steps = tuple(s for s in steps if not any(c in blocked_set for c in s.changes))
    return Plan(
        kept_steps,
        tuple(skipped),
        tuple(blocked),
        "; ".join(reasons),
        tuple(annotated),
        _fk_tables(kept_steps, desired),
        _hooks_refusal(hooks),
    )


def _hooks_refusal(hooks: list[Change]) -> str:
    """Why a writing command cannot record its run: something on the history table."""
    if not hooks:
        return ""
    names = ", ".join(f"{c.object} {c.name}" for c in hooks)
    drops = "; ".join(f"DROP {c.object.upper()} {qi(c.name)} ON {qi(HISTORY_TABLE)}" for c in hooks)
    return (
        f"Cannot record this run in {HISTORY_TABLE} (dbinit's own table): {names} is on it and "
        f"would run inside dbinit's transaction; nothing was changed (drop it: {drops})"
    )


def _fk_tables(steps: tuple[Step, ...], desired: Schema) -> tuple[str, ...]:
    """The declared tables with foreign keys that the steps touch or point at."""
    touched = {c.table for s in steps for c in s.changes}
    return tuple(
        t.name
        for t in desired.tables.values()
        if any(
            k.type == "f" and (t.name in touched or k.ref_table in touched) for k in t.constraints
        )
    )
