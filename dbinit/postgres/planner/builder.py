"""The plan builder's core: steps in phases, ordered by the dependencies PostgreSQL
records, and the objects that depend on a changed one rebuilt. Each kind's planning is a
mixin of `_Builder` in its own module."""

from __future__ import annotations

import heapq
from collections.abc import Callable

from dbinit.changes import Change, Hazard, Kind
from dbinit.plan import Statement, Step
from dbinit.postgres.compare.renames import Renames
from dbinit.postgres.ddl import column_settings_sql, column_sql, index_statistics_sql
from dbinit.postgres.model import Domain, Ref, Schema, is_internal
from dbinit.postgres.planner import (
    comments,
    constraints,
    definable,
    extensions,
    functions,
    indexes,
    partitions,
    policies,
    renames,
    sequences,
    tables,
    triggers,
    types,
    views,
)
from dbinit.postgres.planner.text import _DEFINABLE_WORDS, _gone
from dbinit.postgres.quote import ident as qi

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
        # a change's hazards where the planner carries it out otherwise than the
        # differ's guess said (a constraint validated inside the transaction)
        self.hazards: dict[Change, tuple[Hazard, ...]] = {}
        self.new_tables = {n for n in desired.tables if n not in live.tables}
        self.recreated: set[str] = set()  # views and matviews dropped and created again
        self.own_change: dict[tuple[Kind, str, str], Change] = {}  # the plan's, by key
        self.by_ref: dict[Ref, Change] = {}
        # triggers dropped and created again (declared state) around another change
        self.rebuilt_triggers: set[tuple[str, str]] = set()
        self.regenerated: set[tuple[str, str]] = set()  # generated columns added again
        self.provides: dict[int, tuple[Ref, ...]] = {}  # id(step) → the objects it creates
        self.changes: list[Change] = []  # what `build` plans
        self.removes: dict[int, tuple[Ref, ...]] = {}  # id(step) → the objects it drops

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
        removes: tuple[Ref, ...] = (),
    ) -> None:
        """A step in `phase`; `provides` names the objects it creates, so that it
        runs after the steps creating what they need (the declared `depends`);
        `removes` the objects it drops, so that it runs before the steps dropping
        what they need (the live `depends`)."""
        if statements:
            step = Step(description, tuple(statements), changes, prechecks=prechecks)
            self.phases[phase].append(((order, description), step))
            if provides:
                self.provides[id(step)] = provides
            if removes:
                self.removes[id(step)] = removes

    def build(self, changes: list[Change]) -> list[Step]:
        self._leftovers()
        recreate = {c.name for c in changes if views.recreates(c)}
        self.recreated = recreate
        self.own_change = {(c.kind, c.table, c.name): c for c in changes}
        # the named objects the plan creates or changes, as the dependency facts name them
        self.by_ref = {
            (c.object, c.name): c
            for c in changes
            if c.kind.value.startswith("missing_") or c.kind.value.endswith("_changed")
        }
        self.changes = changes
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
        self._after_indexes(changes)
        self._inherited(changes)
        out: list[Step] = []
        for phase in _PHASES:
            out += [step for _, step in sorted(self.phases[phase], key=lambda p: p[0])]
        return self._by_dependencies(out)

    def _by_dependencies(self, steps: list[Step]) -> list[Step]:
        """`steps` in phase order, except that a step creating an object runs after
        the steps creating what that object needs, as the scratch database's
        pg_depend recorded it (a function `RETURNS SETOF users` after `users`), and
        a step dropping an object runs before the steps dropping what it needs, as
        the live database's pg_depend records it (a composite type before the
        domain it holds) and after the steps that change what uses it (a column's
        DEFAULT dropped before the function it called). A stable topological sort:
        a step moves only when it must, and only later."""
        after: list[set[int]] = [set() for _ in steps]  # i → the steps that must precede it
        made: dict[Ref, int] = {}
        gone: dict[Ref, int] = {}
        for i, step in enumerate(steps):
            for ref in self.provides.get(id(step), ()):
                made.setdefault(ref, i)
            for ref in self.removes.get(id(step), ()):
                gone.setdefault(ref, i)

        def step_of(steps_by: dict[Ref, int], ref: Ref) -> int | None:
            j = steps_by.get(ref)
            if j is None and ref[0] == "column":
                j = steps_by.get(("table", ref[1]))
            return j

        for i, step in enumerate(steps):
            mine = self.provides.get(id(step), ())
            for ref in mine:  # creating: what it needs first
                for need in self.desired.depends.get(ref, ()):
                    j = step_of(made, need)
                    if j is not None and j != i and need not in mine:
                        after[i].add(j)
            dropped = self.removes.get(id(step), ())
            for ref in dropped:
                for need in self.live.depends.get(ref, ()):  # dropping: before what it needs
                    j = step_of(gone, need)
                    if j is not None and j != i and need not in dropped:
                        after[j].add(i)
                for user in self.live.dependants(ref):  # and after what stops using it
                    j = made.get(user)
                    if j is not None and j != i:
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
            elif kind == "column" and ref[0] == "column":
                self._rebuild_generated(dep[1], dep[2], c)
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
                    [
                        Statement(f"CREATE {unique}INDEX {qi(ix.name)} {ix.spec}"),
                        *index_statistics_sql(self.q(ix.name), ix),
                    ],
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

    def _rebuild_generated(self, table: str, column: str, c: Change) -> None:
        """A stored generated column reading a column whose type `c` changes
        ("cannot alter type of a column used by a generated column"): dropped
        before, with what depends on it, and added again after, its values
        computed again. One the plan drops anyway needs nothing."""
        if self._dropped(("column", table, column)):
            return
        dt = self.desired.tables.get(table)
        dc = dt.column(column) if dt is not None else None
        own = self.own_change.get((Kind.COLUMN_CHANGED, table, column))
        if dc is None or dc.generated is None or own is not None:
            self.unsupported.setdefault(
                c, f"generated column {table}.{column} reads it and is not declared unchanged"
            )
            return
        if (table, column) in self.regenerated:
            return
        self.regenerated.add((table, column))
        self._rebuild_dependants(("column", table, column), c, dropped=True)
        self.add(
            "drop_dependants",
            f"drop generated column {table}.{column} to add it again",
            [Statement(f"ALTER TABLE {self.q(table)} DROP COLUMN {qi(column)}")],
            (c,),
            order=2,
        )
        self.add(
            "columns",
            f"add generated column {table}.{column} again",
            [
                Statement(f"ALTER TABLE {self.q(table)} ADD COLUMN {column_sql(dc)}"),
                *column_settings_sql(self.q(table), dc),  # new again: its settings too
            ],
            (c,),
            order=dc.position,
            provides=(("column", table, column),),
        )

    def _dropped(self, ref: Ref) -> bool:
        """Whether the plan drops column `ref` (or its table)."""
        if ref[0] != "column":
            return False
        return (Kind.EXTRA_COLUMN, ref[1], ref[2]) in self.own_change or (
            Kind.EXTRA_TABLE,
            ref[1],
            ref[1],
        ) in self.own_change

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
        elif c.object in _DEFINABLE_WORDS:
            sql = f"DROP {_DEFINABLE_WORDS[c.object]} {self.q(c.name)}"
        else:
            sql = f"DROP EXTENSION {qi(c.name)}"
        self.add(
            "drop_routines" if c.kind is Kind.EXTRA_FUNCTION else "drop_base",
            f"drop {c.object} {c.name}",
            [Statement(sql)],
            (c,),
            order=order.get(c.kind, 6),
            removes=(_gone(c),),
        )

    def _drop_dependant(self, c: Change) -> None:
        if c.kind is Kind.EXTRA_INDEX and self._partitioned(c.table):
            self.add(
                "drop_dependants",
                f"drop index {c.name}",
                [Statement(f"DROP INDEX {self.q(c.name)}")],
                (c,),
                removes=(_gone(c),),
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
                removes=(_gone(c),),
            )
            if lcon is not None:
                self._foreign_keys_again(lcon, c)
            return
        if c.kind in (Kind.EXTRA_POLICY, Kind.EXTRA_TRIGGER):
            sql = f"DROP {c.object.upper()} {qi(c.name)} ON {self.q(c.table)}"
            self.add(
                "drop_dependants",
                f"drop {c.object} {c.name}",
                [Statement(sql)],
                (c,),
                order=-2,
                removes=(_gone(c),),
            )
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
            removes=(_gone(c),),
        )

    # Each kind's planning, in its own module (functions taking the builder).
    _extension = extensions._extension
    _type = types._type
    _create_type = types._create_type
    _type_changed = types._type_changed
    _domain_prechecks = types._domain_prechecks
    _replace_enum = types._replace_enum
    _redefine = definable._redefine
    _definable = staticmethod(definable._definable)
    _sequence = sequences._sequence
    _sequence_forward = sequences._sequence_forward
    _forward = sequences._forward
    _owner = sequences._owner
    _function = functions._function
    _rename = renames._rename
    _table = tables._table
    _table_options = tables._table_options
    _inherited = tables._inherited
    _index_made = tables._index_made
    _after_indexes = tables._after_indexes
    _drop_rows = tables._drop_rows
    _add_column = tables._add_column
    _column_changed = tables._column_changed
    _new_type = tables._new_type
    _rows = tables._rows
    retyped = tables._retyped
    _conversion_check = tables._conversion_check
    _rows_renamed = tables._rows_renamed
    _constraint = constraints._constraint
    _changing_columns = constraints._changing_columns
    _validated_in_transaction = constraints._validated_in_transaction
    _planned = constraints._planned
    _keys_in_transaction = constraints._keys_in_transaction
    _key_dropped = constraints._key_dropped
    _foreign_keys_again = constraints._foreign_keys_again
    _key_added_online = constraints._key_added_online
    _precheck = constraints._precheck
    _on_recreated = indexes._on_recreated
    _index = indexes._index
    _indexes_on = indexes._indexes_on
    _unique_index_precheck = indexes._unique_index_precheck
    _index_uncountable = indexes._index_uncountable
    _dependent_views = views._dependent_views
    _view = views._view
    _recreate = views._recreate
    _create_view = views._create_view
    _rebuild_trigger = triggers._rebuild_trigger
    _triggers_on = triggers._triggers_on
    _create_trigger = triggers._create_trigger
    _trigger = triggers._trigger
    _partition = partitions._partition
    _partitioned = partitions._partitioned
    _policy = policies._policy
    _comment = comments._comment
