"""Pure planning: typed changes → ordered SQL steps. The plan is data.

`--dry-run` prints the very `Plan` that `apply.py` executes. All non-safe
changes of one table become one rebuild step following SQLite's 12-step ALTER
TABLE procedure, built from the *declared* CREATE TABLE text. This module
never executes SQL and never looks at SQL strings to decide what a change is.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from enum import StrEnum

from dbinit.diff import Change, Kind, Safety
from dbinit.model import Index, Schema, Table, Trigger
from dbinit.sqltext import create_head, fold, lex, quote_ident, significant

REBUILD_PREFIX = "_dbinit_new_"


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

    def display(self) -> str:
        """The statement as it runs, its parameters inlined as SQL literals: only
        real `?` placeholders are replaced, never a `?` inside a quoted name,
        string or comment (nor one inside a value already inlined)."""
        if not self.params:
            return self.sql
        values = iter(self.params)
        parts: list[str] = []
        done = 0
        for tok in lex(self.sql):
            if tok.kind == "punct" and tok.text == "?":
                value = next(values)
                shown = (
                    str(value) if isinstance(value, int) else "'" + value.replace("'", "''") + "'"
                )
                parts += [self.sql[done : tok.start], shown]
                done = tok.end
        return "".join(parts) + self.sql[done:]


@dataclass(frozen=True, slots=True)
class Step:
    description: str
    statements: tuple[Statement, ...]
    changes: tuple[Change, ...]
    rebuild: str | None = None  # the table a 12-step rebuild step rebuilds
    columns: tuple[tuple[str, str], ...] = ()  # rebuild: (new column, live column) copied


@dataclass(frozen=True, slots=True)
class Plan:
    steps: tuple[Step, ...] = ()
    skipped: tuple[Change, ...] = ()  # extra objects `init` leaves alone
    blocked: tuple[Change, ...] = ()  # changes the policy does not allow
    blocked_reason: str = ""
    changes: tuple[Change, ...] = field(default=())  # every change, with its SQL
    checked: tuple[str, ...] = ()  # tables whose foreign keys the plan can affect

    @property
    def statements(self) -> list[Statement]:
        return [s for step in self.steps for s in step.statements]

    @property
    def needs_rebuild(self) -> bool:
        return any(step.rebuild for step in self.steps)

    def is_empty(self) -> bool:
        return not self.steps


_DROPS = {
    Kind.EXTRA_TRIGGER: "trigger",
    Kind.EXTRA_VIEW: "view",
    Kind.EXTRA_INDEX: "index",
    Kind.EXTRA_TABLE: "table",
}
_CREATES = {
    Kind.MISSING_INDEX: ("index", False),
    Kind.INDEX_CHANGED: ("index", True),
    Kind.MISSING_TRIGGER: ("trigger", False),
    Kind.TRIGGER_CHANGED: ("trigger", True),
}


def _is_extra(c: Change) -> bool:
    return c.kind in (
        Kind.EXTRA_TABLE,
        Kind.EXTRA_COLUMN,
        Kind.EXTRA_INDEX,
        Kind.EXTRA_VIEW,
        Kind.EXTRA_TRIGGER,
    )


def make_plan(changes: list[Change], desired: Schema, live: Schema, policy: Policy) -> Plan:
    """Order `changes` into steps; record which ones the policy blocks."""
    full = _steps(changes, desired, live)
    by_id: dict[int, tuple[Statement, ...]] = {}
    for step in full:
        for ch in step.changes:
            by_id[id(ch)] = by_id.get(id(ch), ()) + step.statements
    annotated = tuple(
        replace(c, sql=tuple(s.display() for s in by_id.get(id(c), ()))) for c in changes
    )
    if policy.mode is Mode.INIT:
        skipped = tuple(c for c in annotated if _is_extra(c))
        blocked = tuple(c for c in annotated if c.safety is Safety.REBUILD)
        reason = "needs `dbinit repair` (init applies only safe changes)" if blocked else ""
        steps = tuple(s for s in full if all(c.safety is Safety.SAFE for c in s.changes))
        return Plan(steps, skipped, blocked, reason, annotated, _fk_tables(steps, desired))
    need_loss = [c for c in annotated if c.kind in (Kind.EXTRA_TABLE, Kind.EXTRA_COLUMN)]
    need_prune = [
        c for c in annotated if c.kind in (Kind.EXTRA_INDEX, Kind.EXTRA_VIEW, Kind.EXTRA_TRIGGER)
    ]
    blocked_list: list[Change] = []
    reasons = []
    if need_loss and not policy.allow_data_loss:
        blocked_list += need_loss
        reasons.append("dropping tables or columns needs --allow-data-loss")
    if need_prune and not policy.prune:
        blocked_list += need_prune
        reasons.append("dropping indexes, views or triggers needs --prune")
    return Plan(
        tuple(full),
        (),
        tuple(blocked_list),
        "; ".join(reasons),
        annotated,
        _fk_tables(full, desired),
    )


def _fk_tables(steps: tuple[Step, ...] | list[Step], desired: Schema) -> tuple[str, ...]:
    """The declared tables the steps touch, and those whose foreign keys point at
    them: the only ones a plan can give a foreign-key violation."""
    touched = {fold(c.table) for step in steps for c in step.changes}
    children = {
        t.key
        for t in desired.tables.values()
        if any(fk.ref_table in touched for fk in t.foreign_keys)
    }
    return tuple(desired.tables[k].name for k in sorted(touched | children) if k in desired.tables)


def _steps(changes: list[Change], desired: Schema, live: Schema) -> list[Step]:
    rebuild: dict[str, list[Change]] = {}  # desired table key -> its non-safe changes
    live_key_of: dict[str, str] = {}  # desired table key -> live table key
    for t in desired.tables.values():
        if t.key in live.tables:
            live_key_of[t.key] = t.key
    for c in changes:
        if c.kind is Kind.TABLE_RENAMED and c.before is not None:
            live_key_of[fold(c.name)] = fold(c.before)
    for c in changes:
        if c.kind in (
            Kind.TABLE_RENAMED,
            Kind.TABLE_CHANGED,
            Kind.COLUMN_CHANGED,
            Kind.COLUMN_RENAMED,
            Kind.EXTRA_COLUMN,
        ) or (c.kind is Kind.MISSING_COLUMN and c.safety is Safety.REBUILD):
            rebuild.setdefault(fold(c.table), []).append(c)
    early: list[Step] = []
    creates: list[Step] = []
    columns: list[Step] = []
    rebuilds: list[Step] = []
    late: list[Step] = []
    views_to_recreate: dict[str, Change] = {}

    for c in changes:
        k = c.kind
        if k in _DROPS:
            what = _DROPS[k]
            drop = f"DROP {what.upper()} {quote_ident(c.name)}"
            early.append(_step(f"drop {what} {c.name}", [drop], c))
        elif k is Kind.MISSING_TABLE:
            t = desired.tables[fold(c.name)]
            creates.append(_step(f"create table {c.name}", [t.sql], c))
        elif k is Kind.MISSING_COLUMN and c.safety is Safety.SAFE:
            t = desired.tables[fold(c.table)]
            col = t.column(fold(c.column or ""))
            assert col is not None
            add = f"ALTER TABLE {quote_ident(t.name)} ADD COLUMN {col.definition}"
            columns.append(_step(f"add column {t.name}.{col.name}", [add], c))
        elif k in (Kind.MISSING_VIEW, Kind.VIEW_CHANGED):
            views_to_recreate[fold(c.name)] = c
        elif k in _CREATES:
            what, changed = _CREATES[k]
            pool: dict[str, Index | Trigger] = dict(
                desired.indexes if what == "index" else desired.triggers
            )
            obj = pool[fold(c.name)]
            if obj.table in rebuild:
                continue  # recreated by the rebuild of its table
            sqls = [obj.sql]
            if changed:
                old = (live.indexes if what == "index" else live.triggers)[obj.key]
                sqls.insert(0, f"DROP {what.upper()} {quote_ident(old.name)}")
            late.append(_step(f"{'recreate' if changed else 'create'} {what} {c.name}", sqls, c))

    # Views that read a rebuilt table are dropped first and created again after;
    # those steps belong to the rebuild changes that make them necessary.
    reasons: dict[str, tuple[Change, ...]] = {
        key: (change,) for key, change in views_to_recreate.items()
    }
    for v in live.views.values():
        if v.key in reasons or v.key not in desired.views:
            continue
        tables = {k for k in rebuild if k in live_key_of and _mentions(v.sql, {live_key_of[k]})}
        if tables:
            reasons[v.key] = tuple(c for k in sorted(tables) for c in rebuild[k])
    view_drops: list[Step] = []
    view_creates: list[Step] = []
    for key, why in reasons.items():
        view = desired.views[key]
        if key in live.views:
            drop_view = Statement(f"DROP VIEW {quote_ident(live.views[key].name)}")
            view_drops.append(Step(f"drop view {view.name} to recreate it", (drop_view,), why))
        view_creates.append(Step(f"create view {view.name}", (Statement(view.sql),), why))
    early += view_drops

    for tkey, table_changes in rebuild.items():
        dt = desired.tables[tkey]
        lt = live.tables[live_key_of[tkey]]
        rebuilds.append(_rebuild_step(dt, lt, desired, table_changes))

    return early + creates + columns + rebuilds + late + view_creates


def _step(description: str, sql: list[str], change: Change) -> Step:
    return Step(description, tuple(Statement(s) for s in sql), (change,))


def _mentions(sql: str, table_keys: set[str]) -> bool:
    from dbinit.sqltext import unquote

    return any(
        t.kind in ("word", "ident") and fold(unquote(t.text)) in table_keys
        for t in significant(lex(sql))
    )


def renamed_create(sql: str, new_name: str) -> str:
    """The declared CREATE TABLE text with its table name replaced."""
    toks = significant(lex(sql))
    _, _, after = create_head(toks)
    name_tok = toks[after - 1]
    start = toks[after - 3].start if after >= 3 and toks[after - 2].text == "." else name_tok.start
    return sql[:start] + quote_ident(new_name) + sql[name_tok.end :]


def _rebuild_step(dt: Table, lt: Table, desired: Schema, changes: list[Change]) -> Step:
    tmp = REBUILD_PREFIX + dt.name
    renames = {
        fold(c.name): fold(c.before)
        for c in changes
        if c.kind is Kind.COLUMN_RENAMED and c.before and c.table == dt.name
    }
    live_cols = {c.key: c for c in lt.columns}
    targets: list[str] = []
    sources: list[str] = []
    pairs: list[tuple[str, str]] = []
    for col in dt.columns:
        src = live_cols.get(renames.get(col.key, col.key))
        if src is None or col.is_generated:
            continue
        targets.append(quote_ident(col.name))
        sources.append(quote_ident(src.name))
        pairs.append((col.name, src.name))
    stmts: list[Statement] = [Statement(renamed_create(dt.sql, tmp))]
    if targets:
        stmts.append(
            Statement(
                f"INSERT INTO {quote_ident(tmp)} ({', '.join(targets)}) "
                f"SELECT {', '.join(sources)} FROM {quote_ident(lt.name)}",
                copies=lt.name,
            )
        )
    if dt.autoincrement:
        # Carry the AUTOINCREMENT counter over so ids are never reused.
        stmts.append(
            Statement(
                "UPDATE sqlite_sequence SET seq = (SELECT max(seq) FROM sqlite_sequence "
                "WHERE name IN (?, ?)) WHERE name = ?",
                (tmp, lt.name, tmp),
            )
        )
        stmts.append(
            Statement(
                "INSERT INTO sqlite_sequence (name, seq) SELECT ?, seq FROM sqlite_sequence "
                "WHERE name = ? AND NOT EXISTS (SELECT 1 FROM sqlite_sequence WHERE name = ?)",
                (tmp, lt.name, tmp),
            )
        )
    stmts.append(Statement(f"DROP TABLE {quote_ident(lt.name)}"))
    stmts.append(Statement(f"ALTER TABLE {quote_ident(tmp)} RENAME TO {quote_ident(dt.name)}"))
    for idx in sorted(desired.indexes.values(), key=lambda i: i.key):
        if idx.table == dt.key:
            stmts.append(Statement(idx.sql))
    for trg in sorted(desired.triggers.values(), key=lambda t: t.key):
        if trg.table == dt.key:
            stmts.append(Statement(trg.sql))
    what = ", ".join(sorted({c.kind.value for c in changes}))
    return Step(
        f"rebuild table {dt.name} ({what})", tuple(stmts), tuple(changes), dt.name, tuple(pairs)
    )
