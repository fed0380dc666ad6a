"""Planning: Tables and columns: created, altered, dropped, their prechecks."""

from __future__ import annotations

from typing import TYPE_CHECKING

from dbinit.changes import Change, Kind
from dbinit.plan import Statement
from dbinit.postgres.compare.hazards import Facet, refusal
from dbinit.postgres.compare.tables import row_security_facets
from dbinit.postgres.ddl import (
    column_settings_sql,
    column_sql,
    conversion,
    length_limited,
    printed_name,
    with_options,
)
from dbinit.postgres.model import Column, Constraint, Ref, Table, merged_keys
from dbinit.postgres.planner.text import _gone, staged
from dbinit.postgres.quote import ident as qi

if TYPE_CHECKING:
    from dbinit.postgres.planner.builder import _Builder


# The Schema dictionaries of the kinds a Ref names by one key.
_POOLS = {
    "function": "functions",
    "type": "types",
    "sequence": "sequences",
    "view": "views",
    "materialized_view": "materialized_views",
}


def _table(self: _Builder, c: Change) -> None:
    t: Table = c.facts[0]
    merged = merged_keys(t)
    body = [column_sql(col) for col in t.columns]
    body += [
        f"CONSTRAINT {qi(k.name)} {k.definition}"
        for k in t.constraints
        if k.type != "f" and k.name not in merged and k.validated
    ]
    unlogged = "UNLOGGED " if t.unlogged else ""
    by = f" PARTITION BY {t.partition_key}" if t.partition_key else ""
    sql = (
        f"CREATE {unlogged}TABLE {self.q(t.name)} ({', '.join(body)}){by}{with_options(t.options)}"
    )
    stmts = [Statement(sql), *staged(tuple(row_security_facets(t, False, False)), self.q(t.name))]
    for col in t.columns:  # statistics, options, storage, compression
        stmts += column_settings_sql(self.q(t.name), col)
    # A key on the same columns as another (PostgreSQL keeps one of them inside
    # one CREATE TABLE): added after the table. So is a CHECK declared NOT VALID,
    # which CREATE TABLE would make valid.
    stmts += [
        Statement(f"ALTER TABLE {self.q(t.name)} ADD CONSTRAINT {qi(k.name)} {k.definition}")
        for k in t.constraints
        if k.name in merged
    ]
    stmts += [
        Statement(
            f"ALTER TABLE {self.q(t.name)} ADD CONSTRAINT {qi(k.name)} {k.definition} NOT VALID"
        )
        for k in t.constraints
        if k.type == "c" and not k.validated
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
            [
                Statement(f"{add} {qi(k.name)} {k.definition}{_not_valid(k)}", online=online)
                for k in chosen
            ],
            (c,),
            order=order,
            provides=tuple(("constraint", t.name, k.name) for k in chosen),
        )
    if t.replica_identity != "DEFAULT":  # after the table's indexes
        identity = Statement(f"ALTER TABLE {self.q(t.name)} REPLICA IDENTITY {t.replica_identity}")
        self.add("triggers", f"replica identity of {t.name}", [identity], (c,))
    if t.clustered_on is not None:  # after the table's indexes
        cluster = Statement(f"ALTER TABLE {self.q(t.name)} CLUSTER ON {qi(t.clustered_on)}")
        self.add("triggers", f"cluster {t.name} on {t.clustered_on}", [cluster], (c,))


def _not_valid(k: Constraint) -> str:
    """A foreign key declared NOT VALID is added so (never validated)."""
    return "" if k.validated else " NOT VALID"


def _table_options(self: _Builder, c: Change) -> None:
    """The statements of the table's facets (compare/tables.py `table_facets`), by
    stage; those that must wait for an index the plan builds concurrently run
    online, after the table's indexes."""
    d: Table = c.facts[0]
    facets: tuple[Facet, ...] = c.facts[2]
    refused = refusal(facets)
    if refused:
        self.unsupported[c] = refused
        return
    first = tuple(f for f in facets if f.aspect == "of_type")
    # NOT OF before anything changes the type or drops a column of the table
    self.add("drop_dependants", f"make {d.name} a plain table", staged(first, self.q(d.name)), (c,))
    stmts = staged(tuple(f for f in facets if f not in first), self.q(d.name))
    now = [s for s in stmts if not s.online]
    late = [s for s in stmts if s.online]
    self.add("tables", f"options of {d.name}", now, (c,), order=d.oid)
    self.add("triggers", f"{d.name} on its new index", late, (c,))


def _index_made(self: _Builder, table: str, index: str) -> Change | None:
    """The change by which this plan creates or builds again the index `index`
    of existing table `table`: a new index, one rebuilt and swapped, a key added
    or changed. The index it leaves is not the one the table was clustered on or
    had as its replica identity."""
    for c in self.changes:
        if c.table != table:
            continue
        if c.kind in (Kind.MISSING_INDEX, Kind.INDEX_CHANGED) and c.name == index:
            return c
        if c.kind in (Kind.MISSING_CONSTRAINT, Kind.CONSTRAINT_CHANGED) and c.facts:
            con = c.facts[0]
            # a changed key is dropped and added again; one renamed or validated is kept
            kept = len(c.facts) > 2 and all(f.aspect != "definition" for f in c.facts[2])
            if isinstance(con, Constraint) and con.index == index and not kept:
                return c
    return None


def _identity_index(t: Table) -> str | None:
    """The index of REPLICA IDENTITY USING INDEX (printed as quote_ident does)."""
    quoted = t.replica_identity.removeprefix("USING INDEX ")
    if quoted == t.replica_identity:
        return None
    return quoted[1:-1].replace('""', '"') if quoted.startswith('"') else quoted


# Changes that build a live index again (a new one is set by the table's own facet).
_REBUILT = (Kind.INDEX_CHANGED, Kind.CONSTRAINT_CHANGED)


def _after_indexes(self: _Builder, changes: list[Change]) -> None:
    """CLUSTER ON and REPLICA IDENTITY USING INDEX name an index: when this plan
    builds that index again (a changed index swapped for a new one, a key added
    again), they are set again after it, online."""
    own = {
        c.table: c
        for c in changes
        if c.kind in (Kind.TABLE_CHANGED, Kind.MATERIALIZED_VIEW_CHANGED)
    }
    clustered = [
        ("TABLE", t.name, t.clustered_on)
        for t in self.desired.tables.values()
        if t.name in self.live.tables and t.name not in self.new_tables
    ] + [
        ("MATERIALIZED VIEW", m.name, m.clustered_on)
        for m in self.desired.materialized_views.values()
        if m.name in self.live.materialized_views and m.name not in self.recreated
    ]
    for what, name, index_name in clustered:
        if index_name is None:
            continue
        made = self._index_made(name, index_name)
        if made is not None and made.kind in _REBUILT:
            self.add(
                "triggers",
                f"cluster {name} on {index_name} again",
                [
                    Statement(
                        f"ALTER {what} {self.q(name)} CLUSTER ON {qi(index_name)}", online=True
                    )
                ],
                (own.get(name, made),),
            )
    for t in self.desired.tables.values():
        lv = self.live.tables.get(t.name)
        if lv is None or t.name in self.new_tables:
            continue
        at = f"ALTER TABLE {self.q(t.name)}"
        index = _identity_index(t)
        if index is not None:
            made = self._index_made(t.name, index)
            if made is not None and made.kind in _REBUILT:
                self.add(
                    "triggers",
                    f"replica identity of {t.name} again",
                    [Statement(f"{at} REPLICA IDENTITY {t.replica_identity}", online=True)],
                    (own.get(t.name, made),),
                )


def _inherited(self: _Builder, changes: list[Change]) -> None:
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


def _drop_rows(self: _Builder, c: Change) -> None:
    if c.kind is Kind.EXTRA_PARTITION:
        self.add(
            "drop_rows",
            f"drop partition {c.name}",
            [Statement(f"DROP TABLE {self.q(c.name)}")],
            (c,),
            order=-self.live.partitions[c.name].oid,
            removes=(_gone(c),),
        )
        return
    if c.kind is Kind.EXTRA_TABLE:
        sql = f"DROP TABLE {self.q(c.name)}"
    else:
        sql = f"ALTER TABLE {self.q(c.table)} DROP COLUMN {qi(c.column or c.name)}"
    # Later tables first: a table created after another may reference it.
    order = -self.live.tables[c.table].oid
    self.add(
        "drop_rows",
        f"drop {c.object} {c.table}.{c.name}",
        [Statement(sql)],
        (c,),
        order=order,
        removes=(_gone(c),),
    )


def _add_column(self: _Builder, c: Change) -> None:
    col: Column = c.facts[0]
    sql = f"ALTER TABLE {self.q(c.table)} ADD COLUMN {column_sql(col)}"
    prechecks: tuple[tuple[str, str, str], ...] = ()
    if col.notnull and col.default is None and not col.identity and not col.generated:
        count = f"SELECT count(*) FROM {self._rows(c.table)}"
        find = f"SELECT * FROM {self._rows(c.table)} LIMIT 100"
        prechecks = ((f"NOT NULL {c.table}.{col.name} (rows without a value)", count, find),)
    self.add(
        "columns",
        f"add column {c.table}.{col.name}",
        [Statement(sql), *column_settings_sql(self.q(c.table), col)],
        (c,),
        order=col.position,
        prechecks=prechecks,
        provides=(("column", c.table, col.name),),
    )


def _column_changed(self: _Builder, c: Change) -> None:
    """The statements of the change's facets (compare/tables.py: one rule per
    fact gives each its cost and its statements), stage by stage."""
    dc: Column = c.facts[0]
    facets: tuple[Facet, ...] = c.facts[2]
    stmts = staged(facets, self.q(c.table))
    if any(f.aspect == "generated" for f in facets):
        self.add("columns", f"recreate column {c.table}.{dc.name}", stmts, (c,), order=dc.position)
        return
    if any(f.dependants for f in facets):
        # "cannot alter type of a column used by a view or rule": those views
        # (and triggers) are dropped before and created again after.
        self._rebuild_dependants(("column", c.table, c.facts[1].name), c, dropped=False)
    prechecks: list[tuple[str, str, str]] = []
    for check, using in (ch for f in facets for ch in f.checks):
        if check == "conversion" and not self._new_type(dc.type):
            prechecks.append(self._conversion_check(c.table, dc, c.facts[1], using))
        elif check == "notnull":
            prechecks.append(
                (
                    f"NOT NULL {c.table}.{dc.name}",
                    f"SELECT count(*) FROM {self._rows(c.table)} WHERE {qi(dc.name)} IS NULL",
                    f"SELECT * FROM {self._rows(c.table)} WHERE {qi(dc.name)} IS NULL LIMIT 100",
                )
            )
    self.add(
        "columns",
        f"alter column {c.table}.{dc.name}",
        stmts,
        (c,),
        order=dc.position,
        prechecks=tuple(prechecks),
        provides=(("column", c.table, dc.name),),
    )


def _new_type(self: _Builder, column_type: str) -> bool:
    """Whether `column_type` (or its element type) is a type this plan creates:
    no query can cast to it before the plan runs (its transaction tells)."""
    base = column_type.removesuffix("[]")
    return any(k[0] is Kind.MISSING_TYPE and printed_name(k[2]) == base for k in self.own_change)


def _retyped(self: _Builder, table: str, column: str) -> Column | None:
    """The declared column when the plan changes its type (a `type` facet of its
    change) or adds it again (`generated`); else None."""
    c = self.own_change.get((Kind.COLUMN_CHANGED, table, column))
    if c is not None and any(f.aspect in ("type", "generated") for f in c.facts[2]):
        col: Column = c.facts[0]
        return col
    return None


def _rows(self: _Builder, table: str, alias: str | None = None) -> str:
    """A FROM item reading `table`'s rows as they are before the plan runs
    (prechecks run before anything is applied), under the names and types the
    plan gives them: hinted renames undone, changed column types converted as
    the plan converts them. The table itself when neither applies."""
    lt = self.live.tables.get(table)
    old_table = next((a for a, b in self.renames.tables.items() if b == table), table)
    old_cols = {b: a for a, b in self.renames.columns.get(table, {}).items()}
    conv: dict[str, str] = {}
    for lc in lt.columns if lt is not None else ():
        dc = self.retyped(table, lc.name)
        if dc is not None and not (dc.generated or lc.generated):
            expr = conversion(dc, lc) or qi(dc.name)
            conv[lc.name] = f"CAST(({expr}) AS {dc.type})"
    name = qi(alias or table)
    if lt is None or (old_table == table and not old_cols and not conv):
        return self.q(table) + (f" {alias}" if alias else "")
    cols = ", ".join(f"{qi(old_cols.get(c.name, c.name))} AS {qi(c.name)}" for c in lt.columns)
    src = f"(SELECT {cols} FROM {self.q(old_table)}) AS {qi(table) if conv else name}"
    if conv:
        outer = ", ".join(
            f"{conv[c.name]} AS {qi(c.name)}" if c.name in conv else qi(c.name) for c in lt.columns
        )
        src = f"(SELECT {outer} FROM {src}) AS {name}"
    return src


def _conversion_check(
    self: _Builder, table: str, dc: Column, lc: Column, using: str | None
) -> tuple[str, str, str]:
    """A type change's precheck: the values that will not fit the new type,
    before anything runs. A value the cast cannot convert at all makes the
    count query itself fail (the backend reports it, naming this column)."""
    label = f"type change {table}.{dc.name} {lc.type} → {dc.type}"
    plain = self._rows_renamed(table)
    expr = using or qi(dc.name)
    base, mods, arr = length_limited(dc.type)
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


def _rows_renamed(self: _Builder, table: str) -> str:
    """`table`'s rows before the plan, under the names the renames give them."""
    lt = self.live.tables.get(table)
    old_table = next((a for a, b in self.renames.tables.items() if b == table), table)
    old_cols = {b: a for a, b in self.renames.columns.get(table, {}).items()}
    if lt is None or (old_table == table and not old_cols):
        return self.q(table)
    cols = ", ".join(f"{qi(old_cols.get(c.name, c.name))} AS {qi(c.name)}" for c in lt.columns)
    return f"(SELECT {cols} FROM {self.q(old_table)}) AS {qi(table)}"
