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

import hashlib
import heapq
import re
from collections.abc import Callable
from dataclasses import replace
from functools import partial

from dbinit.changes import Change, Kind, Safety
from dbinit.plan import INIT_REASON, Mode, Plan, Policy, Statement, Step
from dbinit.postgres.diff import (
    Comparison,
    Renames,
    enum_additions,
    foreign_keys_on,
    is_history_hook,
    is_unmanaged,
    kept_foreign_keys,
    renamed_keys,
    type_change,
)
from dbinit.postgres.model import (
    HISTORY_TABLE,
    INTERNAL_PREFIX,
    Collation,
    Column,
    Comment,
    CompositeType,
    Constraint,
    Domain,
    DomainCheck,
    EnumType,
    Index,
    Ref,
    Schema,
    Sequence,
    SequenceOptions,
    Table,
    TextSearchConfiguration,
    TextSearchDictionary,
    Trigger,
    is_internal,
    merged_keys,
)
from dbinit.postgres.quote import ident as qi
from dbinit.postgres.quote import literal as ql

# Extras that hold rows: pruning them also needs --allow-data-loss.
_HOLDS_ROWS = frozenset({Kind.EXTRA_TABLE, Kind.EXTRA_COLUMN, Kind.EXTRA_PARTITION})

PRUNE_REASON = (
    "removing undeclared tables or columns (even empty ones) needs --allow-data-loss "
    "with --prune; to keep them, leave out --prune or declare them "
    "(`dbinit inspect` prints their SQL)"
)
LOSS_REASON = "changes that drop or narrow values need --allow-data-loss"
_VALUE = re.compile(r"\bVALUE\b")
_QUOTED = re.compile(r"[Ee]'(?:[^'\\]|''|\\.)*'|'(?:[^']|'')*'|\"(?:[^\"]|\"\")*\"")


def _inheritance(table: str, parents: tuple[str, ...]) -> str:
    return (
        f"{table} inherits from {', '.join(parents)} in the database, and table inheritance "
        f"is not managed (detach it: ALTER TABLE {table} NO INHERIT {parents[0]})"
        if parents
        else f"{table} would inherit from another table: table inheritance is not managed"
    )


def _has_index(table: Table, live: Schema, quoted: str) -> bool:
    names = {qi(i.name) for i in live.indexes.values() if i.table == table.name}
    names |= {qi(k.index) for k in table.constraints if k.index}
    return quoted in names


def _outside_strings(text: str, change: Callable[[str], str]) -> str:
    """`text` with `change` applied to what is not a string literal or a quoted name."""
    out, at = [], 0
    for m in _QUOTED.finditer(text):
        out += [change(text[at : m.start()]), m.group()]
        at = m.end()
    return "".join([*out, change(text[at:])])


# A CHECK as pg_get_constraintdef prints it: its expression, maybe NO INHERIT.
_CHECK = re.compile(r"CHECK (\(.*\))(?: NO INHERIT)?", re.S)
UNSUPPORTED_REASON = "dbinit cannot make this change in place; change it by hand"


def temp_name(kind: str, name: str) -> str:
    """A `_dbinit_` name for a temporary object standing for `name` (≤ 63 bytes)."""
    digest = hashlib.sha1(f"{kind}:{name}".encode()).hexdigest()[:10]
    return f"{INTERNAL_PREFIX}{kind}_{digest}"


def is_extra(c: Change) -> bool:
    return c.extra


# ---------------------------------------------------------------- the plan


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
        a = replace(c, sql=tuple(s.display() for s in by_change.get(c, ())), detail=detail)
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


# ---------------------------------------------------------------- SQL pieces


def seq_options(o: SequenceOptions, *, with_type: bool) -> str:
    parts = [f"AS {o.data_type}"] if with_type else []
    parts += [
        f"INCREMENT BY {o.increment}",
        f"MINVALUE {o.minvalue}",
        f"MAXVALUE {o.maxvalue}",
        f"START WITH {o.start}",
        f"CACHE {o.cache}",
        "CYCLE" if o.cycle else "NO CYCLE",
    ]
    return " ".join(parts)


def column_sql(c: Column) -> str:
    parts = [qi(c.name), c.type]
    if c.collation:
        parts.append(f"COLLATE {c.collation}")
    if c.generated is not None:
        parts.append(f"GENERATED ALWAYS AS ({c.generated}) STORED")
    elif c.identity is not None:
        opts = (
            f" ({seq_options(c.identity_sequence, with_type=False)})" if c.identity_sequence else ""
        )
        parts.append(f"GENERATED {c.identity} AS IDENTITY{opts}")
    elif c.default is not None:
        parts.append(f"DEFAULT {c.default}")
    if c.notnull:
        parts.append("NOT NULL")
    return " ".join(parts)


_NULLS_NOT_DISTINCT = "UNIQUE NULLS NOT DISTINCT"
# The Schema dictionaries of the kinds a Ref names by one key.
_POOLS = {
    "function": "functions",
    "type": "types",
    "sequence": "sequences",
    "view": "views",
    "materialized_view": "materialized_views",
}
_LIMITED = re.compile(r"^(character varying|character|bit varying|bit)\((\d+)\)((?:\[\])*)$")


def _length_limited(type_: str) -> tuple[str, int, str]:
    """For `character varying(n)`, `character(n)`, `bit(n)`, `bit varying(n)`: the
    unlimited type values pass through (`text`, `bit varying`), n and the array
    suffix; else ("", 0, "")."""
    m = _LIMITED.match(type_)
    if not m:
        return "", 0, ""
    base = "text" if m[1].startswith("character") else "bit varying"
    return base, int(m[2]), m[3]


def conversion(dc: Column, lc: Column) -> str | None:
    """The USING expression that converts `lc`'s values to `dc`'s type: the
    column's `-- dbinit: using=EXPR` hint, else an explicit cast. An explicit cast
    to a length-limited type would cut longer values silently: those go through
    the unlimited type, and the ALTER's own (assignment) cast refuses what does
    not fit. None when the types are the same."""
    if dc.type == lc.type:
        return None
    if dc.using:
        return f"({dc.using})"
    base, _, arr = _length_limited(dc.type)
    if base:
        return f"{qi(dc.name)}::{base}{arr}"
    return f"{qi(dc.name)}::{dc.type}"


def _strip_semicolon(definition: str) -> str:
    text = definition.strip()
    return text[:-1].rstrip() if text.endswith(";") else text


def _with(options: tuple[str, ...]) -> str:
    return f" WITH ({', '.join(options)})" if options else ""


_PLAIN = re.compile(r"^[a-z_][a-z0-9_$]*$")


def _printed(name: str) -> str:
    """A name as format_type prints it (quoted only when it must be)."""
    return name if _PLAIN.match(name) else qi(name)


_COMMENT_ON = {
    "table column": "COLUMN",
    "materialized view": "MATERIALIZED VIEW",
    "table constraint": "CONSTRAINT",
    "domain constraint": "CONSTRAINT",
}


def comment_sql(c: Comment, text: str | None) -> str:
    target = c.identity
    if c.object_type in ("table constraint", "domain constraint", "trigger"):
        name, _, on = c.identity.rpartition(" on ")
        domain = "DOMAIN " if c.object_type == "domain constraint" else ""
        target = f"{name} ON {domain}{on}"
    what = _COMMENT_ON.get(c.object_type, c.object_type.upper())
    return f"COMMENT ON {what} {target} IS {ql(text) if text is not None else 'NULL'}"


_WORDS = {
    "collation": "COLLATION",
    "text_search_dictionary": "TEXT SEARCH DICTIONARY",
    "text_search_configuration": "TEXT SEARCH CONFIGURATION",
}


def _describe_ref(ref: Ref) -> str:
    """("column", "t", "c") → "column t.c"; ("index", "i") → "index i"."""
    return f"{ref[0].replace('_', ' ')} {'.'.join(ref[1:])}"


# ---------------------------------------------------------------- steps


_PHASES = (
    "enum_values",  # committed first, on their own (`Statement.early`)
    "renames",  # hinted renames of tables and columns, and the names that follow
    "cleanup",  # dbinit's own leftovers
    "drop_dependants",  # comments, triggers, views, constraints
    "drop_rows",  # tables, columns
    "drop_routines",  # functions and procedures (a new one may take the name)
    "base",  # extensions, types, sequences, functions
    "tables",
    "columns",
    "owners",
    "constraints",
    "indexes",
    "views",
    "view_indexes",  # indexes on materialized views the plan creates
    "triggers",
    "comments",
    "drop_base",  # functions, sequences, types, extensions
)


class _Builder:
    def __init__(self, desired: Schema, live: Schema, renames: Renames | None = None) -> None:
        self.desired = desired
        self.live = live
        self.renames = renames or Renames()
        self.followed: set[str] = set()  # tables whose following names are planned
        self.s = desired.schema or live.schema
        self.phases: dict[str, list[tuple[tuple[int, str], Step]]] = {p: [] for p in _PHASES}
        self.unsupported: dict[Change, str] = {}  # a change the planner cannot apply → why
        self.new_tables = {n for n in desired.tables if n not in live.tables}
        self.recreated: set[str] = set()  # views and matviews dropped and created again
        self.provides: dict[int, tuple[Ref, ...]] = {}  # id(step) → the objects it creates

    def q(self, name: str) -> str:
        return f"{qi(self.s)}.{qi(name)}"

    def add(
        self,
        phase: str,
        description: str,
        statements: list[Statement],
        changes: tuple[Change, ...],
        *,
        order: int = 0,
        prechecks: tuple[tuple[str, str, str], ...] = (),
        provides: tuple[Ref, ...] = (),
    ) -> None:
        """A step in `phase`; `provides` names the objects it creates, so that it
        runs after the steps creating what they need (`Schema.depends`)."""
        if statements:
            step = Step(description, tuple(statements), changes, prechecks=prechecks)
            self.phases[phase].append(((order, description), step))
            if provides:
                self.provides[id(step)] = provides

    def build(self, changes: list[Change]) -> list[Step]:
        self._leftovers()
        recreate = {
            c.name for c in changes if c.kind in (Kind.VIEW_CHANGED, Kind.MATERIALIZED_VIEW_CHANGED)
        }
        self.recreated = recreate
        self.own_change = {(c.kind, c.table, c.name) for c in changes}
        self._dependent_views(changes)
        handlers: dict[Kind, Callable[[Change], None]] = {
            Kind.MISSING_EXTENSION: self._extension,
            Kind.EXTENSION_CHANGED: self._extension,
            Kind.EXTRA_EXTENSION: self._drop_base,
            Kind.MISSING_COLLATION: self._redefine,
            Kind.COLLATION_CHANGED: self._redefine,
            Kind.EXTRA_COLLATION: self._drop_base,
            Kind.MISSING_TEXT_SEARCH_DICTIONARY: self._redefine,
            Kind.TEXT_SEARCH_DICTIONARY_CHANGED: self._redefine,
            Kind.EXTRA_TEXT_SEARCH_DICTIONARY: self._drop_base,
            Kind.MISSING_TEXT_SEARCH_CONFIGURATION: self._redefine,
            Kind.TEXT_SEARCH_CONFIGURATION_CHANGED: self._redefine,
            Kind.EXTRA_TEXT_SEARCH_CONFIGURATION: self._drop_base,
            Kind.MISSING_TYPE: self._type,
            Kind.TYPE_CHANGED: self._type_changed,
            Kind.EXTRA_TYPE: self._drop_base,
            Kind.MISSING_SEQUENCE: self._sequence,
            Kind.SEQUENCE_CHANGED: self._sequence,
            Kind.EXTRA_SEQUENCE: self._drop_base,
            Kind.SEQUENCE_BEHIND: self._sequence_forward,
            Kind.MISSING_FUNCTION: self._function,
            Kind.FUNCTION_CHANGED: self._function,
            Kind.EXTRA_FUNCTION: self._drop_base,
            Kind.TABLE_RENAMED: self._rename,
            Kind.COLUMN_RENAMED: self._rename,
            Kind.MISSING_TABLE: self._table,
            Kind.TABLE_CHANGED: self._table_options,
            Kind.EXTRA_TABLE: self._drop_rows,
            Kind.MISSING_COLUMN: self._add_column,
            Kind.COLUMN_CHANGED: self._column_changed,
            Kind.EXTRA_COLUMN: self._drop_rows,
            Kind.MISSING_CONSTRAINT: self._constraint,
            Kind.CONSTRAINT_CHANGED: self._constraint,
            Kind.EXTRA_CONSTRAINT: self._drop_dependant,
            Kind.MISSING_INDEX: self._index,
            Kind.INDEX_CHANGED: self._index,
            Kind.EXTRA_INDEX: self._drop_dependant,
            Kind.MISSING_VIEW: self._view,
            Kind.VIEW_CHANGED: self._view,
            Kind.EXTRA_VIEW: self._drop_dependant,
            Kind.MISSING_MATERIALIZED_VIEW: self._view,
            Kind.MATERIALIZED_VIEW_CHANGED: self._view,
            Kind.EXTRA_MATERIALIZED_VIEW: self._drop_dependant,
            Kind.MISSING_TRIGGER: self._trigger,
            Kind.TRIGGER_CHANGED: self._trigger,
            Kind.EXTRA_TRIGGER: self._drop_dependant,
            Kind.MISSING_POLICY: self._policy,
            Kind.POLICY_CHANGED: self._policy,
            Kind.EXTRA_POLICY: self._drop_dependant,
            Kind.MISSING_PARTITION: self._partition,
            Kind.PARTITION_CHANGED: self._partition,
            Kind.EXTRA_PARTITION: self._drop_rows,
            Kind.MISSING_COMMENT: self._comment,
            Kind.COMMENT_CHANGED: self._comment,
            Kind.EXTRA_COMMENT: self._comment,
        }
        for c in changes:
            handler = handlers.get(c.kind)
            if handler is not None:
                handler(c)
        self._inherited(changes)
        out: list[Step] = []
        for phase in _PHASES:
            out += [step for _, step in sorted(self.phases[phase], key=lambda p: p[0])]
        return self._by_dependencies(out)

    def _by_dependencies(self, steps: list[Step]) -> list[Step]:
        """`steps` in phase order, except that a step creating an object runs after
        the steps creating what that object needs, as the scratch database's
        pg_depend recorded it (a function `RETURNS SETOF users` after `users`). A
        stable topological sort: a step moves only when it must, and only later."""
        made: dict[Ref, int] = {}
        for i, step in enumerate(steps):
            for ref in self.provides.get(id(step), ()):
                made.setdefault(ref, i)
        after: list[set[int]] = [set() for _ in steps]  # i → the steps that must precede it
        for i, step in enumerate(steps):
            mine = self.provides.get(id(step), ())
            for ref in mine:
                for need in self.desired.depends.get(ref, ()):
                    j = made.get(need)
                    if j is None and need[0] == "column":
                        j = made.get(("table", need[1]))
                    if j is not None and j != i and need not in mine:
                        after[i].add(j)
        if not any(after):
            return steps
        waiting = [len(a) for a in after]
        unlocks: list[list[int]] = [[] for _ in steps]
        for i, preds in enumerate(after):
            for j in preds:
                unlocks[j].append(i)
        ready = [i for i, n in enumerate(waiting) if n == 0]
        heapq.heapify(ready)
        order: list[int] = []
        while ready:
            i = heapq.heappop(ready)
            order.append(i)
            for k in unlocks[i]:
                waiting[k] -= 1
                if waiting[k] == 0:
                    heapq.heappush(ready, k)
        # A cycle (PostgreSQL's catalogs allow none between the objects created
        # here): what is left keeps its phase order.
        seen = set(order)
        order += [i for i in range(len(steps)) if i not in seen]
        return [steps[i] for i in order]

    def _rebuild_dependants(self, ref: Ref, c: Change, *, dropped: bool) -> None:
        """Drop what depends on `ref` (live pg_depend) before change `c` and create it
        again after, as declared: views and materialized views (and what depends
        on them), triggers; when `ref` itself is dropped (`dropped`: a function
        whose result type changes) also column defaults, indexes and CHECKs.
        Anything else depending on it makes `c` unsupported."""
        for dep in self.live.dependants(ref):
            kind = dep[0]
            if kind in ("view", "materialized_view"):
                name = dep[1]
                want = self.desired.views if kind == "view" else self.desired.materialized_views
                if name not in want:
                    self.unsupported.setdefault(
                        c, f"{kind.replace('_', ' ')} {name} (not declared) depends on it"
                    )
                    continue
                if name not in self.recreated:
                    self.recreated.add(name)
                    self._recreate(kind, name, c)
                    self._rebuild_dependants(dep, c, dropped=True)
            elif kind == "trigger":
                self._rebuild_trigger(dep[1], dep[2], c)
            elif kind == "index" and self._on_recreated(dep[1]):
                continue  # created again with its materialized view
            elif not dropped:
                continue  # PostgreSQL carries indexes and constraints over a type change
            elif kind == "column":
                self._rebuild_default(dep[1], dep[2], c)
            elif kind == "index" and dep[1] in self.desired.indexes:
                ix = self.desired.indexes[dep[1]]
                if (Kind.INDEX_CHANGED, ix.table, ix.name) in self.own_change:
                    continue
                unique = "UNIQUE " if ix.unique else ""
                self.add(
                    "drop_dependants",
                    f"drop index {ix.name} to create it again",
                    [Statement(f"DROP INDEX {self.q(ix.name)}")],
                    (c,),
                )
                self.add(
                    "indexes",
                    f"create index {ix.name} again",
                    [Statement(f"CREATE {unique}INDEX {qi(ix.name)} {ix.spec}")],
                    (c,),
                    provides=(dep,),
                )
            elif kind == "constraint" and dep[1] in self.desired.tables:
                con = self.desired.tables[dep[1]].constraint(dep[2])
                lcon = self.live.tables[dep[1]].constraint(dep[2])
                if con is None or lcon is None or con.type != "c":
                    self.unsupported.setdefault(c, f"constraint {dep[2]} depends on it")
                    continue
                if (Kind.CONSTRAINT_CHANGED, con.table, con.name) in self.own_change:
                    continue
                tbl = self.q(con.table)
                self.add(
                    "drop_dependants",
                    f"drop constraint {con.name} on {con.table} to add it again",
                    [Statement(f"ALTER TABLE {tbl} DROP CONSTRAINT {qi(con.name)}")],
                    (c,),
                    order=1,
                )
                valid = "" if con.validated else " NOT VALID"
                self.add(
                    "constraints",
                    f"add constraint {con.name} on {con.table} again",
                    [
                        Statement(
                            f"ALTER TABLE {tbl} ADD CONSTRAINT {qi(con.name)} "
                            f"{con.definition}{valid}"
                        )
                    ],
                    (c,),
                    provides=(dep,),
                )
            else:
                what = " ".join(dep[:1] + dep[-1:]).replace("_", " ")
                self.unsupported.setdefault(c, f"{what} depends on it")

    def _dropped(self, ref: Ref) -> bool:
        """Whether the plan drops column `ref` (or its table)."""
        if ref[0] != "column":
            return False
        return (Kind.EXTRA_COLUMN, ref[1], ref[2]) in self.own_change or (
            Kind.EXTRA_TABLE,
            ref[1],
            ref[1],
        ) in self.own_change

    def _on_recreated(self, index: str) -> bool:
        ix = self.live.indexes.get(index)
        return ix is not None and ix.table in self.recreated

    def _rebuild_trigger(self, table: str, name: str, c: Change) -> None:
        tg = self.desired.triggers.get((table, name))
        if tg is None:
            self.unsupported.setdefault(c, f"trigger {name} (not declared) depends on it")
            return
        if tg.table in self.recreated or (Kind.TRIGGER_CHANGED, table, name) in self.own_change:
            return  # created again with its view, or by its own change
        self.own_change.add((Kind.TRIGGER_CHANGED, table, name))
        self.add(
            "drop_dependants",
            f"drop trigger {name} to create it again",
            [Statement(f"DROP TRIGGER {qi(name)} ON {self.q(table)}")],
            (c,),
        )
        self.add(
            "triggers",
            f"create trigger {name} on {table} again",
            self._create_trigger(tg),
            (c,),
            order=tg.oid,
            provides=(("trigger", table, name),),
        )

    def _rebuild_default(self, table: str, column: str, c: Change) -> None:
        """A column default that calls a function dropped and created again."""
        at = f"ALTER TABLE {self.q(table)} ALTER COLUMN {qi(column)}"
        self.add(
            "drop_dependants",
            f"drop default of {table}.{column}",
            [Statement(f"{at} DROP DEFAULT")],
            (c,),
        )
        dt = self.desired.tables.get(table)
        dc = dt.column(column) if dt is not None else None
        if dc is not None and dc.default is not None:
            self.add(
                "owners",
                f"default of {table}.{column} again",
                [Statement(f"{at} SET DEFAULT {dc.default}")],
                (c,),
                provides=(("column", table, column),),
            )

    def _dependent_views(self, changes: list[Change]) -> None:
        """Declared views and materialized views that may read a view the plan
        drops and creates again (created after it, by oid): they are dropped and
        created again too, as part of that change (a view's dependants block
        DROP VIEW)."""
        for c in list(changes):
            if c.kind not in (Kind.VIEW_CHANGED, Kind.MATERIALIZED_VIEW_CHANGED):
                continue
            pool = self.live.views if c.object == "view" else self.live.materialized_views
            oid = pool[c.name].oid
            for obj, live_pool, want in (
                ("view", self.live.views, self.desired.views),
                (
                    "materialized_view",
                    self.live.materialized_views,
                    self.desired.materialized_views,
                ),
            ):
                for name, v in live_pool.items():
                    if v.oid > oid and name in want and name not in self.recreated:
                        self.recreated.add(name)
                        self._recreate(obj, name, c)

    # -- dbinit's own leftovers

    def _leftovers(self) -> None:
        for ix in self.live.leftovers:
            self.add(
                "cleanup",
                f"drop leftover index {ix.name}",
                [Statement(f"DROP INDEX CONCURRENTLY IF EXISTS {self.q(ix.name)}", online=True)],
                (),
            )
        for t in self.live.tables.values():
            for con in t.constraints:
                if is_internal(con.name):
                    self.add(
                        "cleanup",
                        f"drop leftover constraint {con.name} on {t.name}",
                        [
                            Statement(
                                f"ALTER TABLE {self.q(t.name)} DROP CONSTRAINT IF EXISTS "
                                f"{qi(con.name)}"
                            )
                        ],
                        (),
                    )

    # -- extensions, types, sequences, functions

    def _extension(self, c: Change) -> None:
        e = self.desired.extensions[c.name]
        lv = self.live.extensions.get(c.name)
        stmts: list[Statement] = []
        if c.kind is Kind.MISSING_EXTENSION or lv is None:
            version = f" VERSION {ql(e.pinned)}" if e.pinned is not None else ""
            if e.schema != self.s:  # its home outside the managed schema (`public`, `ext`)
                stmts.append(Statement(f"CREATE SCHEMA IF NOT EXISTS {qi(e.schema)}"))
            sql = f"CREATE EXTENSION IF NOT EXISTS {qi(e.name)} SCHEMA {qi(e.schema)}{version}"
            stmts.append(Statement(sql))
        else:
            if e.schema != lv.schema:
                stmts.append(Statement(f"ALTER EXTENSION {qi(e.name)} SET SCHEMA {qi(e.schema)}"))
            if e.pinned is not None and e.pinned != lv.version:
                stmts.append(Statement(f"ALTER EXTENSION {qi(e.name)} UPDATE TO {ql(e.pinned)}"))
        self.add("base", f"extension {e.name}", stmts, (c,), order=-1)

    def _type(self, c: Change) -> None:
        t = self.desired.types[c.name]
        self.add(
            "base",
            f"create type {t.name}",
            [Statement(self._create_type(t))],
            (c,),
            order=t.oid,
            provides=(("type", t.name),),
        )

    def _create_type(self, t: EnumType | Domain | CompositeType) -> str:
        if isinstance(t, EnumType):
            return f"CREATE TYPE {self.q(t.name)} AS ENUM ({', '.join(ql(x) for x in t.labels)})"
        if isinstance(t, CompositeType):
            return t.sql(self.q(t.name))[0]
        parts = [f"CREATE DOMAIN {self.q(t.name)} AS {t.base_type}"]
        if t.collation:
            parts.append(f"COLLATE {t.collation}")
        if t.default is not None:
            parts.append(f"DEFAULT {t.default}")
        if t.notnull:
            parts.append("NOT NULL")
        parts += [f"CONSTRAINT {qi(k.name)} {k.definition}" for k in t.checks]
        return " ".join(parts)

    def _type_changed(self, c: Change) -> None:
        d = self.desired.types[c.name]
        lv = self.live.types[c.name]
        if isinstance(d, EnumType) and isinstance(lv, EnumType):
            adds = enum_additions(d, lv)
            if adds:
                for i, (label, before, after) in enumerate(adds):
                    where = (
                        f" BEFORE {ql(before)}"
                        if before
                        else f" AFTER {ql(after)}"
                        if after
                        else ""
                    )
                    sql = f"ALTER TYPE {self.q(d.name)} ADD VALUE {ql(label)}{where}"
                    self.add(
                        "enum_values",
                        f"add value {label} to enum {d.name}",
                        [Statement(sql, early=True)],
                        (c,),
                        order=i,
                    )
                return
            self._replace_enum(c, d)
            return
        if isinstance(d, Domain) and isinstance(lv, Domain):
            if d.base_type != lv.base_type or d.collation != lv.collation:
                self.unsupported[c] = f"the base type or collation of domain {d.name}"
                return
            dom = f"ALTER DOMAIN {self.q(d.name)}"
            stmts: list[Statement] = []
            if d.default != lv.default:
                stmts.append(
                    Statement(
                        f"{dom} SET DEFAULT {d.default}" if d.default else f"{dom} DROP DEFAULT"
                    )
                )
            if d.notnull != lv.notnull:
                stmts.append(Statement(f"{dom} {'SET' if d.notnull else 'DROP'} NOT NULL"))
            have = {k.name: k for k in lv.checks}
            want = {k.name: k for k in d.checks}
            for name, k in have.items():
                if name not in want or want[name] != k:
                    stmts.append(Statement(f"{dom} DROP CONSTRAINT {qi(name)}"))
            prechecks: list[tuple[str, str, str]] = []
            for name, k in want.items():
                if name not in have or have[name] != k or not have[name].validated:
                    counted = self._domain_prechecks(d.name, k) if k.validated else ()
                    if counted is None and name in have and have[name] == k:
                        counted = ()  # left to the online VALIDATE, as before
                    if counted is None:
                        # Not countable before the plan: validated in the transaction.
                        stmts.append(Statement(f"{dom} ADD CONSTRAINT {qi(name)} {k.definition}"))
                        continue
                    prechecks += counted
                if name not in have or have[name] != k:
                    stmts.append(
                        Statement(f"{dom} ADD CONSTRAINT {qi(name)} {k.definition} NOT VALID")
                    )
                    if k.validated:  # declared NOT VALID: never validated
                        stmts.append(
                            Statement(f"{dom} VALIDATE CONSTRAINT {qi(name)}", online=True)
                        )
                elif not have[name].validated and k.validated:
                    stmts.append(Statement(f"{dom} VALIDATE CONSTRAINT {qi(name)}", online=True))
            self.add(
                "base",
                f"alter domain {d.name}",
                stmts,
                (c,),
                order=d.oid,
                prechecks=tuple(prechecks),
            )
            return
        if isinstance(d, CompositeType) and isinstance(lv, CompositeType):
            self._alter_composite(c, d, lv)
            return
        self.unsupported[c] = f"{c.name} changes from one kind of type to another"

    def _alter_composite(self, c: Change, d: CompositeType, lv: CompositeType) -> None:
        """ALTER TYPE … DROP / ADD / ALTER ATTRIBUTE, in one statement. PostgreSQL
        adds an attribute at the end and cannot change an attribute's type while a
        table column holds values of the type: those are refused."""
        what = f"composite type {d.name}"
        kept = [a.name for a in lv.attributes if d.attribute(a.name) is not None]
        added = [a for a in d.attributes if lv.attribute(a.name) is None]
        if kept + [a.name for a in added] != [a.name for a in d.attributes]:
            self.unsupported[c] = (
                f"the attribute order of {what} (ALTER TYPE … ADD ATTRIBUTE adds at the end; "
                "declare new attributes last)"
            )
            return
        changed = [a for a in d.attributes if (la := lv.attribute(a.name)) is not None and la != a]
        users = [r for r in self.live.dependants(("type", d.name)) if r[0] in ("column", "type")]
        if changed and users:
            self.unsupported[c] = (
                f"the type of attribute {changed[0].name} of {what}: "
                f"{_describe_ref(users[0])} uses the type and PostgreSQL cannot change it "
                "then (declare a new type and convert the column)"
            )
            return
        actions = [f"DROP ATTRIBUTE {qi(a.name)}" for a in lv.attributes if a.name not in kept]
        actions += [f"ADD ATTRIBUTE {a.sql()}" for a in added]
        for a in changed:
            coll = f" COLLATE {a.collation}" if a.collation else ""
            actions.append(f"ALTER ATTRIBUTE {qi(a.name)} TYPE {a.type}{coll}")
        self.add(
            "base",
            f"alter {what}",
            [Statement(f"ALTER TYPE {self.q(d.name)} {', '.join(actions)}")],
            (c,),
            order=d.oid,
            provides=(("type", d.name),),
        )

    def _redefine(self, c: Change) -> None:
        """A collation, text-search dictionary or configuration: created, or
        dropped and created again when nothing uses it (refused otherwise)."""
        kind = c.object
        word = _WORDS[kind]
        obj = self._definable(self.desired, kind, c.name)
        stmts: list[Statement] = []
        if c.kind in (
            Kind.COLLATION_CHANGED,
            Kind.TEXT_SEARCH_DICTIONARY_CHANGED,
            Kind.TEXT_SEARCH_CONFIGURATION_CHANGED,
        ):
            users = self.live.dependants((kind, c.name))
            if users:
                label = word.lower().replace("text search", "text-search")
                self.unsupported[c] = (
                    f"{label} {c.name} is defined differently and {_describe_ref(users[0])} "
                    f"uses it: it cannot be redefined in place (declare a new {label} under "
                    "another name and switch to it)"
                )
                return
            stmts.append(Statement(f"DROP {word} {self.q(c.name)}"))
        stmts += [Statement(text) for text in obj.sql(self.q(c.name))]
        self.add(
            "base",
            f"{word.lower()} {c.name}",
            stmts,
            (c,),
            order=obj.oid,
            provides=((kind, c.name),),
        )

    @staticmethod
    def _definable(
        s: Schema, kind: str, name: str
    ) -> Collation | TextSearchDictionary | TextSearchConfiguration:
        if kind == "collation":
            return s.collations[name]
        if kind == "text_search_dictionary":
            return s.ts_dictionaries[name]
        return s.ts_configurations[name]

    def _domain_prechecks(
        self, domain: str, check: DomainCheck
    ) -> tuple[tuple[str, str, str], ...] | None:
        """A domain CHECK's violations, counted in each live column of the domain
        (its `VALUE` read as the column); None when the expression cannot be
        rewritten so (a dollar-quoted string in it)."""
        m = _CHECK.fullmatch(check.definition)
        if m is None or "$" in m.group(1):
            return None
        out: list[tuple[str, str, str]] = []
        for t in self.live.tables.values():
            for col in t.columns:
                if col.type != domain:
                    continue
                column = qi(col.name).replace("\\", "\\\\")  # a replacement string
                expr = _outside_strings(m.group(1), partial(_VALUE.sub, column))
                cond = f"({expr}) IS FALSE"
                tbl = self.q(t.name)
                out.append(
                    (
                        f"CHECK {check.name} of domain {domain} on {t.name}.{col.name}",
                        f"SELECT count(*) FROM {tbl} WHERE {cond}",
                        f"SELECT * FROM {tbl} WHERE {cond} LIMIT 100",
                    )
                )
        return tuple(out)

    def _replace_enum(self, c: Change, d: EnumType) -> None:
        """Values removed or reordered: a new type, every column converted through text."""
        old = temp_name("old", d.name)
        self._rebuild_dependants(("type", d.name), c, dropped=False)
        stmts = [
            Statement(f"ALTER TYPE {self.q(d.name)} RENAME TO {qi(old)}"),
            Statement(self._create_type(d)),
        ]
        for t in self.live.tables.values():
            for col in t.columns:
                base = col.type.removesuffix("[]")
                if base != _printed(d.name):
                    continue
                self._rebuild_dependants(("column", t.name, col.name), c, dropped=False)
                dt = self.desired.tables.get(t.name)
                dc = dt.column(col.name) if dt else None
                at = f"ALTER TABLE {self.q(t.name)} ALTER COLUMN {qi(col.name)}"
                if col.default is not None:
                    stmts.append(Statement(f"{at} DROP DEFAULT"))
                arr = "[]" if col.type.endswith("[]") else ""
                new = f"{self.q(d.name)}{arr}"
                stmts.append(Statement(f"{at} TYPE {new} USING {qi(col.name)}::text{arr}::{new}"))
                if dc is not None and dc.default is not None and col.default is not None:
                    stmts.append(Statement(f"{at} SET DEFAULT {dc.default}"))
        stmts.append(Statement(f"DROP TYPE {self.q(old)}"))
        self.add("base", f"replace enum {d.name}", stmts, (c,), order=d.oid)

    def _sequence(self, c: Change) -> None:
        s = self.desired.sequences[c.name]
        if c.kind is Kind.MISSING_SEQUENCE:
            sql = f"CREATE SEQUENCE {self.q(s.name)} {seq_options(s.options, with_type=True)}"
        else:
            sql = f"ALTER SEQUENCE {self.q(s.name)} {seq_options(s.options, with_type=True)}"
        self.add(
            "base",
            f"sequence {s.name}",
            [Statement(sql)],
            (c,),
            order=s.oid,
            provides=(("sequence", s.name),),
        )
        live = self.live.sequences.get(c.name)
        if live is None or live.owned_by != s.owned_by:
            self._owner(c, s)

    def _identity_into_range(self, tbl: str, dc: Column, lc: Column) -> list[Statement]:
        """A MINVALUE raised above an ascending identity's current value (a MAXVALUE
        lowered below a descending one's) is refused by the server: the sequence is
        first moved forward to the new bound (never back; a sequence not called yet
        is taken to stand at its start)."""
        new, old = dc.identity_sequence, lc.identity_sequence
        if new is None or old is None:
            return []
        up = new.increment > 0
        edge = new.minvalue if up else new.maxvalue
        if (edge <= old.minvalue) if up else (edge >= old.maxvalue):
            return []
        seq = f"pg_get_serial_sequence({ql(tbl)}, {ql(dc.name)})"
        return [
            Statement(
                f"SELECT setval(s, {edge}, false) FROM {seq} s WHERE coalesce("
                f"pg_sequence_last_value(s::regclass), {old.start}) {'<' if up else '>'} {edge}"
            )
        ]

    def _sequence_forward(self, c: Change) -> None:
        """setval to the column's largest value (smallest when it counts down), read
        when the statement runs, and only when that moves the sequence forward."""
        b = next(x for x in self.live.behind if x.sequence == c.name and x.table == c.table)
        self.add(
            "owners",
            f"move sequence {b.sequence} past {b.table}.{b.column}",
            [self._forward(b.sequence, b.table, b.column, b.increment)],
            (c,),
            order=1,
        )

    def _forward(self, sequence: str, table: str, column: str, increment: int) -> Statement:
        up = increment > 0
        col, seq = qi(column), self.q(sequence)
        return Statement(
            f"SELECT setval({ql(seq)}, m) FROM (SELECT {'max' if up else 'min'}({col}) AS m "
            f"FROM {self.q(table)}) x WHERE m {'>' if up else '<'} (SELECT CASE WHEN "
            f"is_called THEN last_value ELSE last_value - {increment} END FROM {seq})"
        )

    def _owner(self, c: Change, s: Sequence) -> None:
        if s.owned_by is None:
            if c.kind is Kind.MISSING_SEQUENCE:
                return
            owner = "NONE"
        else:
            owner = f"{self.q(s.owned_by[0])}.{qi(s.owned_by[1])}"
        stmts = [Statement(f"ALTER SEQUENCE {self.q(s.name)} OWNED BY {owner}")]
        lt = self.live.tables.get(s.owned_by[0]) if s.owned_by else None
        if s.owned_by and c.kind is Kind.MISSING_SEQUENCE and lt and lt.column(s.owned_by[1]):
            # A new sequence for a column that already holds values (`integer` made
            # `serial`): it starts past them, or the next insert collides.
            stmts.append(self._forward(s.name, *s.owned_by, s.options.increment))
        self.add("owners", f"sequence {s.name} owned by {owner}", stmts, (c,))

    def _function(self, c: Change) -> None:
        f = self.desired.functions[c.name]
        stmts = [Statement("SET LOCAL check_function_bodies = off")]
        lv = self.live.functions.get(c.name) or next(
            (g for g in self.live.functions.values() if f.signature and g.signature == f.signature),
            None,
        )
        # CREATE OR REPLACE cannot change a function's kind, result type (OUT
        # parameters included) or parameter names: drop it, with what depends on it,
        # and create it all again in the same transaction.
        if lv is not None and (lv.kind != f.kind or lv.returns != f.returns or lv.key != f.key):
            self._rebuild_dependants(("function", lv.key), c, dropped=True)
            gone = " IF EXISTS" if lv.key != f.key else ""  # an extra --prune may drop first
            what = f"{lv.kind.upper()}{gone}"
            stmts.append(Statement(f"DROP {what} {self.q(lv.name)}({lv.arguments})"))
        stmts.append(Statement(f.definition.strip()))
        self.add(
            "base", f"function {f.key}", stmts, (c,), order=f.oid, provides=(("function", f.key),)
        )

    def _drop_base(self, c: Change) -> None:
        order = {
            Kind.EXTRA_FUNCTION: 0,
            Kind.EXTRA_SEQUENCE: 1,
            Kind.EXTRA_TYPE: 2,
            Kind.EXTRA_TEXT_SEARCH_CONFIGURATION: 3,
            Kind.EXTRA_TEXT_SEARCH_DICTIONARY: 4,
            Kind.EXTRA_COLLATION: 5,
        }
        if c.kind is Kind.EXTRA_FUNCTION:
            f = self.live.functions[c.name]
            sql = f"DROP {f.kind.upper()} {self.q(f.name)}({f.arguments})"
        elif c.kind is Kind.EXTRA_SEQUENCE:
            # a serial's sequence goes with its column when the plan drops that
            owner = self.live.sequences[c.name].owned_by
            gone = " IF EXISTS" if owner is not None and self._dropped(("column", *owner)) else ""
            sql = f"DROP SEQUENCE{gone} {self.q(c.name)}"
        elif c.kind is Kind.EXTRA_TYPE:
            t = self.live.types[c.name]
            sql = f"DROP {'DOMAIN' if isinstance(t, Domain) else 'TYPE'} {self.q(c.name)}"
        elif c.object in _WORDS:
            sql = f"DROP {_WORDS[c.object]} {self.q(c.name)}"
        else:
            sql = f"DROP EXTENSION {qi(c.name)}"
        self.add(
            "drop_routines" if c.kind is Kind.EXTRA_FUNCTION else "drop_base",
            f"drop {c.object} {c.name}",
            [Statement(sql)],
            (c,),
            order=order.get(c.kind, 6),
        )

    # -- tables and columns

    def _rename(self, c: Change) -> None:
        """ALTER TABLE … RENAME (catalog only, a brief ACCESS EXCLUSIVE lock); the
        first rename of a table also renames the constraints and indexes whose
        names follow (diff.renamed_live)."""
        assert c.before is not None and c.after is not None
        if c.kind is Kind.TABLE_RENAMED:
            sql = f"ALTER TABLE {self.q(c.before)} RENAME TO {qi(c.after)}"
            order = 0
        else:
            sql = f"ALTER TABLE {self.q(c.table)} RENAME COLUMN {qi(c.before)} TO {qi(c.after)}"
            order = 1
        what = f"rename {c.object} {c.table}.{c.before}" if c.column else f"rename table {c.before}"
        self.add("renames", f"{what} to {c.after}", [Statement(sql)], (c,), order=order)
        if c.table in self.followed:
            return
        self.followed.add(c.table)
        follow = []
        for kind, old, new in self.renames.follow(c.table):
            if kind == "constraint":
                sql = f"ALTER TABLE {self.q(c.table)} RENAME CONSTRAINT {qi(old)} TO {qi(new)}"
            elif kind == "sequence":
                sql = f"ALTER SEQUENCE {self.q(old)} RENAME TO {qi(new)}"
            else:
                sql = f"ALTER INDEX {self.q(old)} RENAME TO {qi(new)}"
            follow.append(Statement(sql))
        self.add("renames", f"names that follow {c.table}", follow, (c,), order=2)

    def _table(self, c: Change) -> None:
        t = self.desired.tables[c.name]
        merged = merged_keys(t)
        body = [column_sql(col) for col in t.columns]
        body += [
            f"CONSTRAINT {qi(k.name)} {k.definition}"
            for k in t.constraints
            if k.type != "f" and k.name not in merged
        ]
        unlogged = "UNLOGGED " if t.unlogged else ""
        by = f" PARTITION BY {t.partition_key}" if t.partition_key else ""
        sql = f"CREATE {unlogged}TABLE {self.q(t.name)} ({', '.join(body)}){by}{_with(t.options)}"
        stmts = [Statement(sql), *self._row_security(t, None)]
        # A key on the same columns as another (PostgreSQL keeps one of them inside
        # one CREATE TABLE): added after the table.
        stmts += [
            Statement(f"ALTER TABLE {self.q(t.name)} ADD CONSTRAINT {qi(k.name)} {k.definition}")
            for k in t.constraints
            if k.name in merged
        ]
        made: tuple[Ref, ...] = (
            ("table", t.name),
            *(("column", t.name, col.name) for col in t.columns),
            *(("constraint", t.name, k.name) for k in t.constraints if k.type != "f"),
        )
        self.add("tables", f"create table {t.name}", stmts, (c,), order=t.oid, provides=made)
        fks = [k for k in t.constraints if k.type == "f"]
        add = f"ALTER TABLE {self.q(t.name)} ADD CONSTRAINT"
        # to a key this plan adds online: after that key (online, a later step)
        late_key = [self._key_added_online(k) for k in fks]
        for online, order, what in ((False, -1, ""), (True, 2, " to new keys")):
            chosen = [k for k, late in zip(fks, late_key, strict=True) if late == online]
            self.add(
                "constraints",
                f"foreign keys of {t.name}{what}",
                [Statement(f"{add} {qi(k.name)} {k.definition}", online=online) for k in chosen],
                (c,),
                order=order,
                provides=tuple(("constraint", t.name, k.name) for k in chosen),
            )
        if t.replica_identity != "DEFAULT":  # after the table's indexes
            identity = Statement(
                f"ALTER TABLE {self.q(t.name)} REPLICA IDENTITY {t.replica_identity}"
            )
            self.add("triggers", f"replica identity of {t.name}", [identity], (c,))

    def _row_security(self, d: Table, lv: Table | None) -> list[Statement]:
        at = f"ALTER TABLE {self.q(d.name)}"
        stmts = []
        if d.row_security != (lv.row_security if lv else False):
            state = "ENABLE" if d.row_security else "DISABLE"
            stmts.append(Statement(f"{at} {state} ROW LEVEL SECURITY"))
        if d.force_row_security != (lv.force_row_security if lv else False):
            state = "FORCE" if d.force_row_security else "NO FORCE"
            stmts.append(Statement(f"{at} {state} ROW LEVEL SECURITY"))
        return stmts

    def _table_options(self, c: Change) -> None:
        d = self.desired.tables[c.name]
        lv = self.live.tables[c.name]
        at = f"ALTER TABLE {self.q(d.name)}"
        if d.partition_key != lv.partition_key:
            self.unsupported[c] = f"{d.name} changes how it is partitioned"
            return
        if d.inherits != lv.inherits:
            self.unsupported[c] = _inheritance(d.name, lv.inherits)
            return
        stmts = self._row_security(d, lv)
        if d.replica_identity != lv.replica_identity:
            identity = Statement(f"{at} REPLICA IDENTITY {d.replica_identity}")
            index = d.replica_identity.removeprefix("USING INDEX ")
            if index != d.replica_identity and not _has_index(lv, self.live, index):
                # An index this plan builds (concurrently, after the transaction).
                online = Statement(identity.sql, online=True)
                self.add("triggers", f"replica identity of {d.name}", [online], (c,))
            else:
                stmts.append(identity)
        if d.unlogged != lv.unlogged:
            stmts.append(Statement(f"{at} SET {'UNLOGGED' if d.unlogged else 'LOGGED'}"))
        gone = [
            o.split("=", 1)[0]
            for o in lv.options
            if o.split("=", 1)[0] not in {x.split("=", 1)[0] for x in d.options}
        ]
        if gone:
            stmts.append(Statement(f"{at} RESET ({', '.join(gone)})"))
        if d.options != lv.options and d.options:
            stmts.append(Statement(f"{at} SET ({', '.join(d.options)})"))
        self.add("tables", f"options of {d.name}", stmts, (c,), order=d.oid)

    def _inherited(self, changes: list[Change]) -> None:
        """Table inheritance is not managed: no plan changes a table that another
        inherits from, since PostgreSQL would carry the change into the child (a
        parent's dropped column takes the child's values with it)."""
        children: dict[str, list[str]] = {}
        for t in self.live.tables.values():
            for parent in t.inherits:
                children.setdefault(parent, []).append(t.name)
        for c in changes:
            if c.table in children and c not in self.unsupported:
                kids = ", ".join(sorted(children[c.table]))
                self.unsupported[c] = (
                    f"{c.table} is inherited by {kids} in the database, and table "
                    "inheritance is not managed: a change to a parent reaches its children "
                    f"(detach them first: ALTER TABLE child NO INHERIT {c.table})"
                )

    def _partition(self, c: Change) -> None:
        p = self.desired.partitions[c.name]
        if c.kind is Kind.PARTITION_CHANGED:
            self.unsupported[c] = f"partition {p.name} changes its bound, key or logging"
            return
        unlogged = "UNLOGGED " if p.unlogged else ""
        by = f" PARTITION BY {p.partition_key}" if p.partition_key else ""
        sql = (
            f"CREATE {unlogged}TABLE {self.q(p.name)} PARTITION OF {self.q(p.parent)} {p.bound}{by}"
        )
        self.add(
            "tables",
            f"create partition {p.name}",
            [Statement(sql)],
            (c,),
            order=p.oid,
            provides=(("table", p.name),),
        )

    def _policy(self, c: Change) -> None:
        pol = self.desired.policies[(c.table, c.name)]
        if c.kind is Kind.POLICY_CHANGED:
            self.add(
                "drop_dependants",
                f"drop policy {pol.name} to create it again",
                [Statement(f"DROP POLICY {qi(pol.name)} ON {self.q(pol.table)}")],
                (c,),
            )
        self.add(
            "triggers",
            f"create policy {pol.name} on {pol.table}",
            [Statement(pol.sql(self.q(pol.table)))],
            (c,),
            order=pol.oid,
            provides=(("policy", pol.table, pol.name),),
        )

    def _drop_rows(self, c: Change) -> None:
        if c.kind is Kind.EXTRA_PARTITION:
            self.add(
                "drop_rows",
                f"drop partition {c.name}",
                [Statement(f"DROP TABLE {self.q(c.name)}")],
                (c,),
                order=-self.live.partitions[c.name].oid,
            )
            return
        if c.kind is Kind.EXTRA_TABLE:
            sql = f"DROP TABLE {self.q(c.name)}"
        else:
            sql = f"ALTER TABLE {self.q(c.table)} DROP COLUMN {qi(c.column or c.name)}"
        # Later tables first: a table created after another may reference it.
        order = -self.live.tables[c.table].oid
        self.add(
            "drop_rows", f"drop {c.object} {c.table}.{c.name}", [Statement(sql)], (c,), order=order
        )

    def _add_column(self, c: Change) -> None:
        t = self.desired.tables[c.table]
        col = t.column(c.column or c.name)
        assert col is not None
        sql = f"ALTER TABLE {self.q(t.name)} ADD COLUMN {column_sql(col)}"
        prechecks: tuple[tuple[str, str, str], ...] = ()
        if col.notnull and col.default is None and not col.identity and not col.generated:
            count = f"SELECT count(*) FROM {self._rows(t.name)}"
            find = f"SELECT * FROM {self._rows(t.name)} LIMIT 100"
            prechecks = ((f"NOT NULL {t.name}.{col.name} (rows without a value)", count, find),)
        self.add(
            "columns",
            f"add column {t.name}.{col.name}",
            [Statement(sql)],
            (c,),
            order=col.position,
            prechecks=prechecks,
            provides=(("column", t.name, col.name),),
        )

    def _column_changed(self, c: Change) -> None:
        t = self.desired.tables[c.table]
        lt = self.live.tables[c.table]
        dc = t.column(c.column or c.name)
        lc = lt.column(c.column or c.name)
        assert dc is not None and lc is not None
        tbl = self.q(t.name)
        at = f"ALTER TABLE {tbl} ALTER COLUMN {qi(dc.name)}"
        stmts: list[Statement] = []
        prechecks: list[tuple[str, str, str]] = []
        if dc.generated != lc.generated:
            stmts.append(Statement(f"ALTER TABLE {tbl} DROP COLUMN {qi(lc.name)}"))
            stmts.append(Statement(f"ALTER TABLE {tbl} ADD COLUMN {column_sql(dc)}"))
            self.add(
                "columns", f"recreate column {t.name}.{dc.name}", stmts, (c,), order=dc.position
            )
            return
        default_set = False
        if lc.identity and (dc.identity is None):
            stmts.append(Statement(f"{at} DROP IDENTITY"))
        if dc.type != lc.type or dc.collation != lc.collation:
            # "cannot alter type of a column used by a view or rule": those views
            # (and triggers) are dropped before and created again after.
            self._rebuild_dependants(("column", t.name, lc.name), c, dropped=False)
            how = type_change(lc.type, dc.type) if dc.type != lc.type else "coercible"
            coll = f" COLLATE {dc.collation}" if dc.collation else ""
            using = conversion(dc, lc) if how == "rewrite" or dc.using else None
            if using is not None:
                if lc.default is not None:
                    stmts.append(Statement(f"{at} DROP DEFAULT"))
                    default_set = True
                stmts.append(Statement(f"{at} TYPE {dc.type}{coll} USING {using}"))
            else:
                stmts.append(Statement(f"{at} TYPE {dc.type}{coll}"))
            if dc.type != lc.type and how != "coercible" and not self._new_type(dc.type):
                prechecks.append(self._conversion_check(t.name, dc, lc, using))
        if dc.identity is None and (dc.default != lc.default or default_set):
            if dc.default is not None:
                stmts.append(Statement(f"{at} SET DEFAULT {dc.default}"))
            elif not default_set and lc.default is not None:
                stmts.append(Statement(f"{at} DROP DEFAULT"))
        if dc.identity and not lc.identity:
            if lc.default is not None:
                stmts.append(Statement(f"{at} DROP DEFAULT"))
            opts = (
                seq_options(dc.identity_sequence, with_type=False) if dc.identity_sequence else ""
            )
            if not lc.notnull:  # ADD GENERATED needs NOT NULL first
                stmts.append(Statement(f"{at} SET NOT NULL"))
            stmts.append(Statement(f"{at} ADD GENERATED {dc.identity} AS IDENTITY ({opts})"))
        elif dc.identity and lc.identity:
            sets = [f"SET GENERATED {dc.identity}"]
            if dc.identity_sequence and dc.identity_sequence != lc.identity_sequence:
                o = dc.identity_sequence
                sets += [
                    f"SET INCREMENT BY {o.increment}",
                    f"SET MINVALUE {o.minvalue}",
                    f"SET MAXVALUE {o.maxvalue}",
                    f"SET START WITH {o.start}",
                    f"SET CACHE {o.cache}",
                    "SET CYCLE" if o.cycle else "SET NO CYCLE",
                ]
            if dc.identity != lc.identity or len(sets) > 1:
                stmts += self._identity_into_range(tbl, dc, lc)
                stmts.append(Statement(f"{at} {' '.join(sets)}"))
        if dc.notnull and not lc.notnull and not (dc.identity and not lc.identity):
            check = temp_name("nn", f"{t.name}.{dc.name}")
            stmts += [
                Statement(
                    f"ALTER TABLE {tbl} ADD CONSTRAINT {qi(check)} "
                    f"CHECK ({qi(dc.name)} IS NOT NULL) NOT VALID"
                ),
                Statement(f"ALTER TABLE {tbl} VALIDATE CONSTRAINT {qi(check)}", online=True),
                Statement(f"{at} SET NOT NULL", online=True),
                Statement(f"ALTER TABLE {tbl} DROP CONSTRAINT {qi(check)}", online=True),
            ]
            prechecks.append(
                (
                    f"NOT NULL {t.name}.{dc.name}",
                    f"SELECT count(*) FROM {self._rows(t.name)} WHERE {qi(dc.name)} IS NULL",
                    f"SELECT * FROM {self._rows(t.name)} WHERE {qi(dc.name)} IS NULL LIMIT 100",
                )
            )
        elif lc.notnull and not dc.notnull:
            stmts.append(Statement(f"{at} DROP NOT NULL"))
        self.add(
            "columns",
            f"alter column {t.name}.{dc.name}",
            stmts,
            (c,),
            order=dc.position,
            prechecks=tuple(prechecks),
            provides=(("column", t.name, dc.name),),
        )

    # -- constraints

    def _constraint(self, c: Change) -> None:
        t = self.desired.tables[c.table]
        con = t.constraint(c.name)
        assert con is not None
        lcon = self.live.tables[c.table].constraint(c.name)
        tbl = self.q(t.name)
        stmts: list[Statement] = []
        old = renamed_keys(t, self.live.tables[c.table]).get(c.name)
        if old is not None:  # the same key under another name: renamed, index too
            self.add(
                "constraints",
                f"rename constraint {old} to {con.name} on {t.name}",
                [Statement(f"ALTER TABLE {tbl} RENAME CONSTRAINT {qi(old)} TO {qi(con.name)}")],
                (c,),
                order=-1,
                provides=(("constraint", t.name, con.name),),
            )
            return
        if lcon is not None and lcon == con and not lcon.validated:
            stmts.append(
                Statement(f"ALTER TABLE {tbl} VALIDATE CONSTRAINT {qi(con.name)}", online=True)
            )
            self.add(
                "constraints",
                f"validate constraint {con.name} on {t.name}",
                stmts,
                (c,),
                prechecks=self._precheck(con),
                provides=(("constraint", t.name, con.name),),
            )
            return
        if lcon is not None:
            self.add(
                "drop_dependants",
                f"drop constraint {con.name} on {t.name} to add it again",
                [Statement(f"ALTER TABLE {tbl} DROP CONSTRAINT {qi(con.name)}")],
                (c,),
                order=0 if lcon.type == "f" else 1,
            )
            self._foreign_keys_again(lcon, c)
        add = f"ALTER TABLE {tbl} ADD CONSTRAINT {qi(con.name)}"
        if (
            self._partitioned(t.name)
            or self._changing_columns(con)
            or (con.type in ("u", "p") and self._keys_in_transaction(t.name))
        ):
            # No CONCURRENTLY index build and no NOT VALID on a partitioned table:
            # added in the transaction (its prechecks still count violations first).
            # Nor on a column this plan adds or converts, whose values no query can
            # count before the plan runs: validated in the transaction (the table is
            # locked by that ALTER already), so a violation rolls everything back.
            self.add(
                "constraints",
                f"add constraint {con.name} on {t.name}",
                [Statement(f"{add} {con.definition}")],
                (c,),
                order=1 if con.type == "f" else 0,
                prechecks=self._precheck(con),
                provides=(("constraint", t.name, con.name),),
            )
            return
        # A foreign key to a key this plan adds online can only be added once that
        # key exists: after the transaction, online too (steps keep their order).
        late = self._key_added_online(con)
        if con.type in ("c", "f") and not con.validated:
            # Declared NOT VALID: added so, never validated (rows before it may break it).
            self.add(
                "constraints",
                f"add constraint {con.name} on {t.name} NOT VALID",
                [Statement(f"{add} {con.definition} NOT VALID", online=late)],
                (c,),
                order=1 if con.type == "f" else 0,
                provides=(("constraint", t.name, con.name),),
            )
            return
        if con.type in ("c", "f"):
            stmts += [
                Statement(f"{add} {con.definition} NOT VALID", online=late),
                Statement(f"ALTER TABLE {tbl} VALIDATE CONSTRAINT {qi(con.name)}", online=True),
            ]
        elif con.type in ("u", "p") and con.columns:
            index = temp_name("key", f"{t.name}.{con.name}")
            cols = ", ".join(qi(x) for x in con.columns)
            kind = "PRIMARY KEY" if con.type == "p" else "UNIQUE"
            defer = (" DEFERRABLE" if con.deferrable else "") + (
                " INITIALLY DEFERRED" if con.deferred else ""
            )
            # The index as the files' key builds it (INCLUDE, NULLS NOT DISTINCT,
            # storage options), so the constraint made from it is the declared one.
            spec = con.index_spec or f"ON {tbl} ({cols})"
            stmts += [
                Statement(f"CREATE UNIQUE INDEX CONCURRENTLY {qi(index)} {spec}", online=True),
                Statement(f"{add} {kind} USING INDEX {qi(index)}{defer}", online=True),
            ]
        else:
            stmts.append(Statement(f"{add} {con.definition}"))
        self.add(
            "constraints",
            f"add constraint {con.name} on {t.name}",
            stmts,
            (c,),
            order=1 if con.type == "f" else 0,
            prechecks=self._precheck(con),
            provides=(("constraint", t.name, con.name),),
        )

    def _changing_columns(self, con: Constraint) -> bool:
        """Whether no query can count `con`'s violations before the plan runs: the
        plan adds a column it names or changes its type, or creates or changes a
        function, type, sequence or view it uses (`Schema.depends`)."""
        lt = self.live.tables.get(con.table)
        dt = self.desired.tables.get(con.table)
        if lt is None or dt is None:
            return False
        for name in con.columns:
            have, want = lt.column(name), dt.column(name)
            if have is None or (want is not None and want.type != have.type):
                return True
        uses = self.desired.depends.get(("constraint", con.table, con.name), ())
        return any(self._planned(ref) for ref in uses)

    def _new_type(self, column_type: str) -> bool:
        """Whether `column_type` (or its element type) is a type this plan creates:
        no query can cast to it before the plan runs (its transaction tells)."""
        base = column_type.removesuffix("[]")
        return any(
            _printed(name) == base for name in self.desired.types if name not in self.live.types
        )

    def _planned(self, ref: Ref) -> bool:
        """Whether the plan creates or changes object `ref` (a kind kept by name)."""
        pool = _POOLS.get(ref[0])
        if pool is None or len(ref) != 2:
            return False
        want: dict[str, object] = getattr(self.desired, pool)
        have: dict[str, object] = getattr(self.live, pool)
        d, lv = want.get(ref[1]), have.get(ref[1])
        if isinstance(d, EnumType) and isinstance(lv, EnumType) and enum_additions(d, lv):
            return False  # values only added: committed before the prechecks run
        return lv != d

    def _keys_in_transaction(self, table: str) -> bool:
        """Whether the plan drops a key of `table` that declared foreign keys use:
        its new keys are built in the transaction, where those foreign keys are
        added again (never a moment without them after the commit)."""
        lt = self.live.tables.get(table)
        dt = self.desired.tables.get(table)
        if lt is None or dt is None:
            return False
        return any(
            k.type in ("u", "p")
            and dt.constraint(k.name) != k
            and kept_foreign_keys(self.desired, self.live, k)
            for k in lt.constraints
        )

    def _foreign_keys_again(self, key: Constraint, c: Change) -> None:
        """Live key `key` is dropped (changed): the foreign keys that use it are
        dropped first and, as declared, added again after the new keys (NOT VALID
        in the transaction, prechecked, validated online). An undeclared one makes
        the change unsupported (unless the plan drops it anyway)."""
        kept = {(fk.table, fk.name) for fk in kept_foreign_keys(self.desired, self.live, key)}
        for fk in foreign_keys_on(self.live, key):
            if (Kind.CONSTRAINT_CHANGED, fk.table, fk.name) in self.own_change or (
                Kind.EXTRA_CONSTRAINT,
                fk.table,
                fk.name,
            ) in self.own_change:
                continue  # its own step drops it first
            if (fk.table, fk.name) not in kept:
                self.unsupported.setdefault(
                    c, f"foreign key {fk.name} on {fk.table} (not declared) uses it"
                )
                continue
            tbl = self.q(fk.table)
            self.add(
                "drop_dependants",
                f"drop foreign key {fk.name} on {fk.table} to add it again",
                [Statement(f"ALTER TABLE {tbl} DROP CONSTRAINT {qi(fk.name)}")],
                (c,),
                order=0,
            )
            add = f"ALTER TABLE {tbl} ADD CONSTRAINT {qi(fk.name)} {fk.definition}"
            stmts = [Statement(f"{add} NOT VALID")]
            if fk.validated:
                stmts.append(
                    Statement(f"ALTER TABLE {tbl} VALIDATE CONSTRAINT {qi(fk.name)}", online=True)
                )
            self.add(
                "constraints",
                f"add foreign key {fk.name} on {fk.table} again",
                stmts,
                (c,),
                order=1,
                prechecks=self._precheck(fk) if fk.validated else (),
                provides=(("constraint", fk.table, fk.name),),
            )

    def _key_added_online(self, fk: Constraint) -> bool:
        """Whether foreign key `fk` references a UNIQUE or PRIMARY KEY of an existing
        table that this plan adds (online, after the transaction)."""
        if fk.type != "f" or fk.ref_table is None or fk.ref_table in self.new_tables:
            return False
        want, have = self.desired.tables.get(fk.ref_table), self.live.tables.get(fk.ref_table)
        if want is None or have is None or self._partitioned(fk.ref_table):
            return False
        cols = set(fk.ref_columns)
        return any(
            k.type in ("u", "p") and set(k.columns) == cols and have.constraint(k.name) != k
            for k in want.constraints
        ) and not any(
            k.type in ("u", "p") and set(k.columns) == cols and want.constraint(k.name) == k
            for k in have.constraints
        )

    def _precheck(self, con: Constraint) -> tuple[tuple[str, str, str], ...]:
        """(label, count query, find query) for a constraint on an existing table,
        when every column it names exists before the plan runs, with its type."""
        lt = self.live.tables.get(con.table)
        if lt is None or (not con.columns and con.type != "c") or self._changing_columns(con):
            return ()
        tbl = self._rows(con.table)
        cols = [qi(x) for x in con.columns]
        label = f"{con.kind} {con.name} on {con.table}"
        if con.type == "c":
            m = _CHECK.fullmatch(con.definition)
            if m is None:
                return ()
            cond = f"({m.group(1)}) IS FALSE"
            return (
                (
                    label,
                    f"SELECT count(*) FROM {tbl} WHERE {cond}",
                    f"SELECT * FROM {tbl} WHERE {cond} LIMIT 100",
                ),
            )
        if con.type in ("u", "p"):
            keys = ", ".join(cols)
            label = f"{con.kind} {con.name} on {con.table} ({', '.join(con.columns)})"
            # NULLS NOT DISTINCT (and a primary key, whose keys are never NULL):
            # NULL keys are equal; otherwise a row with a NULL key is no duplicate.
            nulls_equal = con.type == "p" or con.definition.startswith(_NULLS_NOT_DISTINCT)
            where = (
                "" if nulls_equal else " WHERE " + " AND ".join(f"{x} IS NOT NULL" for x in cols)
            )
            groups = f"FROM {tbl}{where} GROUP BY {keys} HAVING count(*) > 1"
            out = [
                (
                    label,
                    f"SELECT coalesce(sum(n), 0) FROM (SELECT count(*) AS n {groups}) d",
                    f"SELECT {keys} {groups} LIMIT 100",
                )
            ]
            if con.type == "p":
                nulls = " OR ".join(f"{x} IS NULL" for x in cols)
                out.append(
                    (
                        f"{label} (NULL keys)",
                        f"SELECT count(*) FROM {tbl} WHERE {nulls}",
                        f"SELECT * FROM {tbl} WHERE {nulls} LIMIT 100",
                    )
                )
            return tuple(out)
        if con.type == "f" and con.ref_table and con.ref_columns:
            tbl = self._rows(con.table, "c")
            all_set = " AND ".join(f"c.{x} IS NOT NULL" for x in cols)
            cond = all_set
            rt = self.live.tables.get(con.ref_table)
            if rt is not None and all(rt.column(x) is not None for x in con.ref_columns):
                match = " AND ".join(
                    f"p.{qi(r)} = c.{x}" for r, x in zip(con.ref_columns, cols, strict=True)
                )
                ref = self._rows(con.ref_table, "p")
                cond += f" AND NOT EXISTS (SELECT 1 FROM {ref} WHERE {match})"
            elif con.ref_table not in self.new_tables:
                return ()
            if con.match == "FULL" and len(cols) > 1:
                some = " OR ".join(f"c.{x} IS NOT NULL" for x in cols)
                cond = f"({cond}) OR (({some}) AND NOT ({all_set}))"
            return (
                (
                    label,
                    f"SELECT count(*) FROM {tbl} WHERE {cond}",
                    f"SELECT c.* FROM {tbl} WHERE {cond} LIMIT 100",
                ),
            )
        return ()

    def _rows(self, table: str, alias: str | None = None) -> str:
        """A FROM item reading `table`'s rows as they are before the plan runs
        (prechecks run before anything is applied), under the names and types the
        plan gives them: hinted renames undone, changed column types converted as
        the plan converts them. The table itself when neither applies."""
        lt = self.live.tables.get(table)
        old_table = next((a for a, b in self.renames.tables.items() if b == table), table)
        old_cols = {b: a for a, b in self.renames.columns.get(table, {}).items()}
        dt = self.desired.tables.get(table)
        conv: dict[str, str] = {}
        for lc in lt.columns if lt is not None and dt is not None else ():
            dc = dt.column(lc.name) if dt is not None else None
            if dc is not None and dc.type != lc.type and not (dc.generated or lc.generated):
                expr = conversion(dc, lc) or qi(dc.name)
                conv[lc.name] = f"CAST(({expr}) AS {dc.type})"
        name = qi(alias or table)
        if lt is None or (old_table == table and not old_cols and not conv):
            return self.q(table) + (f" {alias}" if alias else "")
        cols = ", ".join(f"{qi(old_cols.get(c.name, c.name))} AS {qi(c.name)}" for c in lt.columns)
        src = f"(SELECT {cols} FROM {self.q(old_table)}) AS {qi(table) if conv else name}"
        if conv:
            outer = ", ".join(
                f"{conv[c.name]} AS {qi(c.name)}" if c.name in conv else qi(c.name)
                for c in lt.columns
            )
            src = f"(SELECT {outer} FROM {src}) AS {name}"
        return src

    def _conversion_check(
        self, table: str, dc: Column, lc: Column, using: str | None
    ) -> tuple[str, str, str]:
        """A type change's precheck: the values that will not fit the new type,
        before anything runs. A value the cast cannot convert at all makes the
        count query itself fail (the backend reports it, naming this column)."""
        label = f"type change {table}.{dc.name} {lc.type} → {dc.type}"
        plain = self._rows_renamed(table)
        expr = using or qi(dc.name)
        base, mods, arr = _length_limited(dc.type)
        if base and not arr:
            value = f"CAST(({expr}) AS {base})"
            if base == "text":
                value = f"rtrim({value}, ' ')" if dc.type.startswith("character(") else value
                too_long = f"char_length({value}) > {mods}"
            else:
                too_long = f"length({value}) > {mods}"
            return (
                f"{label} (values longer than {mods})",
                f"SELECT count(*) FROM {plain} WHERE {too_long}",
                f"SELECT * FROM {plain} WHERE {too_long} LIMIT 100",
            )
        # Both are empty (0) and evaluate the cast on every row: a value that does
        # not convert makes them fail.
        convert = f"SELECT CAST(({expr}) AS {dc.type}) AS v FROM {plain}"
        return (
            label,
            f"SELECT count(v) - count(v) FROM ({convert}) x",
            f"SELECT * FROM ({convert}) x WHERE v IS DISTINCT FROM v",
        )

    def _rows_renamed(self, table: str) -> str:
        """`table`'s rows before the plan, under the names the renames give them."""
        lt = self.live.tables.get(table)
        old_table = next((a for a, b in self.renames.tables.items() if b == table), table)
        old_cols = {b: a for a, b in self.renames.columns.get(table, {}).items()}
        if lt is None or (old_table == table and not old_cols):
            return self.q(table)
        cols = ", ".join(f"{qi(old_cols.get(c.name, c.name))} AS {qi(c.name)}" for c in lt.columns)
        return f"(SELECT {cols} FROM {self.q(old_table)}) AS {qi(table)}"

    # -- indexes

    def _index(self, c: Change) -> None:
        ix = self.desired.indexes[c.name]
        unique = "UNIQUE " if ix.unique else ""
        if ix.table in self.recreated:
            return  # created with its materialized view
        if ix.table in self.new_tables or ix.table not in (
            *self.live.tables,
            *self.live.materialized_views,
        ):
            sql = f"CREATE {unique}INDEX {qi(ix.name)} {ix.spec}"
            phase = "indexes" if ix.table in self.desired.tables else "view_indexes"
            made: tuple[Ref, ...] = (("index", ix.name),)
            self.add(phase, f"create index {ix.name}", [Statement(sql)], (c,), provides=made)
            return
        if self._partitioned(ix.table):
            # PostgreSQL builds a partitioned table's index on every partition, and
            # never CONCURRENTLY: in the transaction (SHARE lock while it is built).
            stmts = [Statement(f"CREATE {unique}INDEX {qi(ix.name)} {ix.spec}")]
            if c.kind is not Kind.MISSING_INDEX:
                self.add(
                    "drop_dependants",
                    f"drop index {ix.name} to create it again",
                    [Statement(f"DROP INDEX {self.q(ix.name)}")],
                    (c,),
                )
            self.add(
                "indexes", f"create index {ix.name}", stmts, (c,), provides=(("index", ix.name),)
            )
            return
        if c.kind is Kind.MISSING_INDEX:
            sql = f"CREATE {unique}INDEX CONCURRENTLY {qi(ix.name)} {ix.spec}"
            self.add(
                "indexes",
                f"create index {ix.name} concurrently",
                [Statement(sql, online=True)],
                (c,),
            )
            return
        tmp = temp_name("ix", ix.name)
        self.add(
            "indexes",
            f"rebuild index {ix.name} concurrently and swap",
            [
                Statement(f"CREATE {unique}INDEX CONCURRENTLY {qi(tmp)} {ix.spec}", online=True),
                Statement(f"DROP INDEX CONCURRENTLY {self.q(ix.name)}", online=True),
                Statement(f"ALTER INDEX {self.q(tmp)} RENAME TO {qi(ix.name)}", online=True),
            ],
            (c,),
        )

    # -- views, materialized views, triggers

    def _view(self, c: Change) -> None:
        if c.kind in (Kind.VIEW_CHANGED, Kind.MATERIALIZED_VIEW_CHANGED):
            self._recreate(c.object, c.name, c)
        else:
            self._create_view(c.object, c.name, c, recreated=False)

    def _recreate(self, obj: str, name: str, c: Change) -> None:
        """Drop view `name` (or materialized view) and create it again, with the
        indexes and triggers on it, as part of change `c`."""
        live = self.live.materialized_views if obj == "materialized_view" else self.live.views
        what = "MATERIALIZED VIEW" if obj == "materialized_view" else "VIEW"
        self.add(
            "drop_dependants",
            f"drop {what.lower()} {name} to create it again",
            [Statement(f"DROP {what} {self.q(name)}")],
            (c,),
            order=-live[name].oid,
        )
        self._create_view(obj, name, c, recreated=True)

    def _create_view(self, obj: str, name: str, c: Change, *, recreated: bool) -> None:
        mat = obj == "materialized_view"
        v = (self.desired.materialized_views if mat else self.desired.views)[name]
        what = "MATERIALIZED VIEW" if mat else "VIEW"
        body = _strip_semicolon(v.definition)
        stmts = [Statement(f"CREATE {what} {self.q(v.name)}{_with(v.options)} AS {body}")]
        if recreated:
            for ix in self._indexes_on(v.name):
                unique = "UNIQUE " if ix.unique else ""
                stmts.append(Statement(f"CREATE {unique}INDEX {qi(ix.name)} {ix.spec}"))
            for tg in self._triggers_on(v.name):
                stmts += self._create_trigger(tg)
        self.add(
            "views",
            f"create {what.lower()} {v.name}",
            stmts,
            (c,),
            order=v.oid,
            provides=((obj, v.name),),
        )

    def _indexes_on(self, table: str) -> list[Index]:
        return [i for i in self.desired.indexes.values() if i.table == table]

    def _triggers_on(self, table: str) -> list[Trigger]:
        return [t for t in self.desired.triggers.values() if t.table == table]

    def _create_trigger(self, tg: Trigger) -> list[Statement]:
        stmts = [Statement(tg.definition)]
        state = {"D": "DISABLE", "R": "ENABLE REPLICA", "A": "ENABLE ALWAYS"}.get(tg.enabled)
        if state:
            stmts.append(Statement(f"ALTER TABLE {self.q(tg.table)} {state} TRIGGER {qi(tg.name)}"))
        return stmts

    def _trigger(self, c: Change) -> None:
        tg = self.desired.triggers[(c.table, c.name)]
        if tg.table in self.recreated:
            return  # created with its view
        lv = self.live.triggers.get((c.table, c.name))
        if lv is not None:
            if lv.definition == tg.definition:  # only enabled/disabled differs
                state = {"D": "DISABLE", "R": "ENABLE REPLICA", "A": "ENABLE ALWAYS"}.get(
                    tg.enabled, "ENABLE"
                )
                sql = f"ALTER TABLE {self.q(tg.table)} {state} TRIGGER {qi(tg.name)}"
                self.add("triggers", f"{state.lower()} trigger {tg.name}", [Statement(sql)], (c,))
                return
            self.add(
                "drop_dependants",
                f"drop trigger {tg.name} to create it again",
                [Statement(f"DROP TRIGGER {qi(lv.name)} ON {self.q(lv.table)}")],
                (c,),
            )
        self.add(
            "triggers",
            f"create trigger {tg.name} on {tg.table}",
            self._create_trigger(tg),
            (c,),
            order=tg.oid,
            provides=(("trigger", tg.table, tg.name),),
        )

    # -- drops of dependants

    def _partitioned(self, table: str) -> bool:
        """A partitioned table (no CONCURRENTLY, no NOT VALID on it)."""
        t = self.desired.tables.get(table) or self.live.tables.get(table)
        return t is not None and t.partition_key is not None

    def _drop_dependant(self, c: Change) -> None:
        if c.kind is Kind.EXTRA_INDEX and self._partitioned(c.table):
            self.add(
                "drop_dependants",
                f"drop index {c.name}",
                [Statement(f"DROP INDEX {self.q(c.name)}")],
                (c,),
            )
            return
        if c.kind is Kind.EXTRA_INDEX:
            # an index on a column the plan drops goes with it (before this runs)
            needs = self.live.depends.get(("index", c.name), ())
            gone = " IF EXISTS" if any(self._dropped(r) for r in needs) else ""
            self.add(
                "drop_dependants",
                f"drop index {c.name} concurrently",
                [Statement(f"DROP INDEX CONCURRENTLY{gone} {self.q(c.name)}", online=True)],
                (c,),
            )
            return
        if c.kind is Kind.EXTRA_CONSTRAINT:
            lcon = self.live.tables[c.table].constraint(c.name)
            sql = f"ALTER TABLE {self.q(c.table)} DROP CONSTRAINT {qi(c.name)}"
            order = 0 if lcon is not None and lcon.type == "f" else 1
            self.add(
                "drop_dependants",
                f"drop constraint {c.name} on {c.table}",
                [Statement(sql)],
                (c,),
                order=order,
            )
            if lcon is not None:
                self._foreign_keys_again(lcon, c)
            return
        if c.kind is Kind.EXTRA_POLICY:
            sql = f"DROP POLICY {qi(c.name)} ON {self.q(c.table)}"
            self.add("drop_dependants", f"drop policy {c.name}", [Statement(sql)], (c,), order=-2)
            return
        if c.kind is Kind.EXTRA_TRIGGER:
            sql = f"DROP TRIGGER {qi(c.name)} ON {self.q(c.table)}"
            self.add("drop_dependants", f"drop trigger {c.name}", [Statement(sql)], (c,), order=-2)
            return
        mat = c.kind is Kind.EXTRA_MATERIALIZED_VIEW
        pool = self.live.materialized_views if mat else self.live.views
        oid = pool[c.name].oid
        what = "MATERIALIZED VIEW" if mat else "VIEW"
        self.add(
            "drop_dependants",
            f"drop {what.lower()} {c.name}",
            [Statement(f"DROP {what} {self.q(c.name)}")],
            (c,),
            order=-oid,
        )

    # -- comments

    def _comment(self, c: Change) -> None:
        key = next(
            (
                k
                for k in (*self.desired.comments, *self.live.comments)
                if f"{k[0]} {k[1]}" == c.name
            ),
            None,
        )
        assert key is not None
        com = self.desired.comments.get(key) or self.live.comments[key]
        text = com.text if c.kind is not Kind.EXTRA_COMMENT else None
        online = com.object_type in ("index", "table constraint")
        phase = "drop_dependants" if text is None else "comments"
        self.add(
            phase,
            f"comment on {c.name}",
            [Statement(comment_sql(com, text), online=online and text is not None)],
            (c,),
            order=-3,
        )
