"""Pure diff of two schemas into typed changes, as set algebra per object kind.

only desired → missing, only live → extra, both → compare fields. Safety is
judged as if every table had rows. No SQL is built here (see `plan.py`) and
nothing is read from a database.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

from dbinit.changes import Change, Kind, Safety, likely_renames, rename_hint, renamed_to_hint
from dbinit.sqlite.introspect import HISTORY_TABLE
from dbinit.sqlite.model import Column, ForeignKey, Index, Schema, Table, Trigger, View
from dbinit.sqlite.sqltext import (
    clause_expr,
    fold,
    is_constant_default,
    is_null_default,
    readable,
    readable_default,
)


def _declared(loc: object) -> str:
    return f"declared in {loc}" if loc else "declared"


def diff(desired: Schema, live: Schema) -> list[Change]:
    """Every difference between the declared and the live schema, in a stable order."""
    changes: list[Change] = []
    pairs, renamed_tables = _match_tables(desired, live, changes)
    for dt, lt in pairs:
        changes.extend(_diff_table(dt, lt))
    # Objects that belong to an extra table go with it; they are not listed twice.
    gone = {k for k in live.tables if k not in desired.tables and k not in renamed_tables}
    gone |= _shadow_tables_of(gone, live)
    known = set(live.tables) | set(live.views)
    changes.extend(_diff_named("index", desired.indexes, live.indexes, gone, known))
    changes.extend(_diff_named("view", desired.views, live.views, gone, known))
    # Dropping an undeclared view drops the INSTEAD OF triggers on it.
    gone_views = {k for k in live.views if k not in desired.views}
    changes.extend(
        _diff_named("trigger", desired.triggers, live.triggers, gone | gone_views, known)
    )
    return changes


def _shadow_tables_of(gone: set[str], live: Schema) -> set[str]:
    """Hidden tables that indexes or triggers are on and that belong to a gone
    virtual table (FTS5 and R*Tree name theirs `<table>_<suffix>`): dropping the
    virtual table drops them, and what is on them, too."""
    prefixes = tuple(k + "_" for k in gone if live.tables[k].virtual)
    on = {i.table for i in live.indexes.values()} | {t.table for t in live.triggers.values()}
    return {t for t in on if t not in live.tables and prefixes and t.startswith(prefixes)}


def _match_tables(
    desired: Schema, live: Schema, changes: list[Change]
) -> tuple[list[tuple[Table, Table]], set[str]]:
    pairs: list[tuple[Table, Table]] = []
    renamed: set[str] = set()
    for dt in desired.tables.values():
        lt = live.tables.get(dt.key)
        old = fold(dt.renamed_from) if dt.renamed_from else None
        obj = "virtual_table" if dt.virtual else "table"
        if lt is not None:
            pairs.append((dt, lt))
        elif old and old in live.tables and old not in desired.tables:
            lt = live.tables[old]
            renamed.add(old)
            changes.append(
                Change(
                    Kind.TABLE_RENAMED,
                    obj,
                    dt.name,
                    dt.name,
                    Safety.REBUILD,
                    f"renamed from {lt.name} ({_declared(dt.loc)}); rows are kept",
                    before=lt.name,
                    after=dt.name,
                )
            )
            pairs.append((dt, lt))
        else:
            changes.append(
                Change(
                    Kind.MISSING_TABLE,
                    obj,
                    dt.name,
                    dt.name,
                    Safety.SAFE,
                    f"{_declared(dt.loc)}, absent from the database",
                    after=dt.sql,
                )
            )
    for lt in live.tables.values():
        if lt.key not in desired.tables and lt.key not in renamed:
            changes.append(
                Change(
                    Kind.EXTRA_TABLE,
                    "virtual_table" if lt.virtual else "table",
                    lt.name,
                    lt.name,
                    Safety.DESTRUCTIVE,
                    "in the database, declared in no schema file",
                    before=lt.sql,
                    extra=True,
                )
            )
    return pairs, renamed


def add_column_problem(table: Table, col: Column) -> str | None:
    """Why `ALTER TABLE … ADD COLUMN` would refuse `col` on a table with rows."""
    if col.key in table.primary_key:
        return "a PRIMARY KEY column"
    if (col.key,) in table.uniques:
        return "a UNIQUE column"
    if col.hidden == 3:
        return "a STORED generated column"
    default_null = is_null_default(col.default)
    if col.notnull and default_null and not col.is_generated:
        return "NOT NULL without a non-NULL default"
    if not is_constant_default(col.default):
        return f"a non-constant default {_default_text(col)}"
    if col.references and not default_null:
        return "a REFERENCES column with a non-NULL default"
    return None


def _default_text(col: Column) -> str:
    """The DEFAULT as written (the normalized form when the text is unknown)."""
    if col.declared_default is not None:
        return readable_default(col.declared_default)
    return col.default if col.default is not None else "(none)"


def _generated_text(col: Column) -> str:
    expr = clause_expr(col.definition, "AS") or col.generated
    return f"{'STORED' if col.hidden == 3 else 'VIRTUAL'} AS ({expr})"


# (label, what is compared, what is shown: the column as written)
_COLUMN_FIELDS: tuple[tuple[str, Callable[[Column], object], Callable[[Column], str]], ...] = (
    ("type", lambda c: c.type, lambda c: readable(c.declared_type or c.type) or "(none)"),
    ("NOT NULL", lambda c: c.notnull, lambda c: "yes" if c.notnull else "no"),
    ("DEFAULT", lambda c: c.default, lambda c: "(none)" if c.default is None else _default_text(c)),
    ("COLLATE", lambda c: c.collate or "BINARY", lambda c: c.collate or "BINARY"),
    (
        "generated",
        lambda c: (c.hidden, c.generated) if c.is_generated else None,
        lambda c: _generated_text(c) if c.is_generated else "no",
    ),
)


def _diff_table(dt: Table, lt: Table) -> list[Change]:
    out: list[Change] = []
    if dt.virtual or lt.virtual:
        if dt.virtual != lt.virtual:
            out.append(
                Change(
                    Kind.TABLE_CHANGED,
                    "virtual_table" if dt.virtual else "table",
                    dt.name,
                    dt.name,
                    Safety.REBUILD,
                    f"definition differs from the database ({_declared(dt.loc)})",
                    before=lt.sql,
                    after=dt.sql,
                )
            )
        return out

    live_cols = {c.key: c for c in lt.columns}
    desired_keys = set(dt.column_keys)
    to_live: dict[str, str] = {}  # desired column key -> live column key
    missing: list[Column] = []
    for dc in dt.columns:
        old = fold(dc.renamed_from) if dc.renamed_from else None
        if dc.key in live_cols:
            to_live[dc.key] = dc.key
        elif old and old in live_cols and old not in desired_keys:
            to_live[dc.key] = old
            out.append(
                Change(
                    Kind.COLUMN_RENAMED,
                    "column",
                    dc.name,
                    dt.name,
                    Safety.REBUILD,
                    f"renamed from {live_cols[old].name}; values are kept",
                    column=dc.name,
                    before=live_cols[old].name,
                    after=dc.name,
                )
            )
        else:
            missing.append(dc)

    guesses = likely_renames(
        [(c.key, c.type) for c in dt.columns],
        [(c.key, c.type) for c in lt.columns],
        {c.key for c in missing},
        set(live_cols) - set(to_live.values()),
    )
    named = {c.key: c.name for c in dt.columns}
    guessed = {old: named[new] for new, old in guesses.items()}  # live key -> declared name
    positions = [i for i, c in enumerate(dt.columns) if c.key in to_live]
    last_existing = max(positions, default=-1)
    for dc in missing:
        index = dt.column_keys.index(dc.key)
        problem = add_column_problem(dt, dc)
        if index < last_existing:
            problem = (
                f"it is declared before {dt.columns[last_existing].name} (ADD COLUMN only appends)"
            )
        detail = f"{_declared(dc.loc or dt.loc)}, absent from the table"
        if problem:
            detail += (
                f"; ALTER TABLE cannot add column {dc.name}: {problem}, "
                f"so table {dt.name} is rebuilt"
            )
        if dc.key in guesses:
            detail += rename_hint(live_cols[guesses[dc.key]].name)
        out.append(
            Change(
                Kind.MISSING_COLUMN,
                "column",
                dc.name,
                dt.name,
                Safety.REBUILD if problem else Safety.SAFE,
                detail,
                column=dc.name,
                after=dc.definition,
            )
        )

    for dkey, lkey in to_live.items():
        dcol, lc = dt.column(dkey), live_cols[lkey]
        assert dcol is not None
        dc = dcol
        diffs = [
            (label, show(lc), show(dc)) for label, get, show in _COLUMN_FIELDS if get(lc) != get(dc)
        ]
        if diffs:
            out.append(
                Change(
                    Kind.COLUMN_CHANGED,
                    "column",
                    dc.name,
                    dt.name,
                    Safety.REBUILD,
                    "; ".join(f"{label} {b} → {a}" for label, b, a in diffs),
                    column=dc.name,
                    before=lc.definition,
                    after=dc.definition,
                )
            )

    mapped = set(to_live.values())
    for lc in lt.columns:
        if lc.key not in mapped:
            out.append(
                Change(
                    Kind.EXTRA_COLUMN,
                    "column",
                    lc.name,
                    dt.name,
                    Safety.DESTRUCTIVE,
                    "in the database, declared in no schema file"
                    + (renamed_to_hint(guessed[lc.key]) if lc.key in guessed else ""),
                    column=lc.name,
                    before=lc.definition,
                    extra=True,
                )
            )

    facets = _table_facets(dt, lt, to_live, {c.key for c in missing})
    if facets:
        out.append(
            Change(
                Kind.TABLE_CHANGED,
                "table",
                dt.name,
                dt.name,
                Safety.REBUILD,
                "; ".join(f"{label}: {b} → {a}" for label, b, a in facets),
                before=lt.sql,
                after=dt.sql,
            )
        )
    return out


def _table_facets(
    dt: Table, lt: Table, to_live: dict[str, str], missing: set[str]
) -> list[tuple[str, str, str]]:
    """Table-level differences, ignoring what goes away with an extra column and
    what comes with a missing one (reported on the column itself). Compared by
    folded keys and normalized text; shown with declared names and SQL as written."""
    to_desired = {v: k for k, v in to_live.items()}
    extra = {c.key for c in lt.columns} - set(to_live.values())
    # Column names as each side declares them, by desired key (live keys renamed).
    names = {
        True: {to_desired.get(c.key, c.key): c.name for c in lt.columns},
        False: {c.key: c.name for c in dt.columns},
    }

    def rename(cols: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(to_desired.get(c, c) for c in cols)

    def named(cols: tuple[str, ...], live_side: bool) -> str:
        return ", ".join(names[live_side].get(c, c) for c in cols)

    def fk_list(t: Table, own: set[str], live_side: bool) -> list[tuple[ForeignKey, str]]:
        fks = []
        for fk in t.foreign_keys:
            cols = rename(fk.columns) if live_side else fk.columns
            if set(cols) <= own:
                continue
            key = ForeignKey(
                cols, fk.ref_table, fk.ref_columns, fk.on_update, fk.on_delete, fk.match
            )
            shown = replace(key, columns=tuple(names[live_side].get(c, c) for c in cols))
            fks.append((key, shown.describe()))
        return sorted(fks, key=lambda f: (f[0].columns, f[0].ref_table, f[0].ref_columns))

    def check_list(t: Table, own: set[str], live_side: bool) -> list[tuple[str, str]]:
        out = []
        for c in t.checks:
            if c.column and c.column in own:
                continue
            col = to_desired.get(c.column, c.column) if live_side and c.column else c.column
            shown = f"CHECK ({c.sql or c.expr})"
            if col:
                shown = f"{names[live_side].get(col, col)} {shown}"
            out.append((f"{col or ''}:{c.expr}", shown))
        return sorted(out)

    def uniques(t: Table, own: set[str], live_side: bool) -> list[tuple[tuple[str, ...], str]]:
        keys = sorted(
            rename(u) if live_side else u for u in t.uniques if not (len(u) == 1 and u[0] in own)
        )
        return [(u, f"({named(u, live_side)})") for u in keys]

    facets: list[tuple[str, str, str]] = []

    def compare(label: str, before: object, after: object) -> None:
        if before != after:
            facets.append((label, _show(before), _show(after)))

    def compare_shown(
        label: str, before: list[tuple[Any, str]], after: list[tuple[Any, str]]
    ) -> None:
        if [k for k, _ in before] != [k for k, _ in after]:
            facets.append(
                (
                    label,
                    ", ".join(shown for _, shown in before) or "(none)",
                    ", ".join(shown for _, shown in after) or "(none)",
                )
            )

    if not (set(dt.primary_key) & missing):
        before_pk = rename(lt.primary_key)
        if before_pk != dt.primary_key:
            facets.append(
                (
                    "PRIMARY KEY",
                    f"({named(before_pk, True)})" if before_pk else "(none)",
                    f"({named(dt.primary_key, False)})" if dt.primary_key else "(none)",
                )
            )
    compare_shown("UNIQUE", uniques(lt, extra, True), uniques(dt, missing, False))
    compare_shown("CHECK", check_list(lt, extra, True), check_list(dt, missing, False))
    missing_refs = {k for k in missing if (c := dt.column(k)) is not None and c.references}
    compare_shown("FOREIGN KEY", fk_list(lt, extra, True), fk_list(dt, missing_refs, False))
    compare("STRICT", lt.strict, dt.strict)
    compare("WITHOUT ROWID", lt.without_rowid, dt.without_rowid)
    compare("AUTOINCREMENT", lt.autoincrement, dt.autoincrement)
    desired_order = [k for k in dt.column_keys if k in to_live]
    live_order = [to_desired[k] for k in lt.column_keys if k in to_desired]
    if live_order != desired_order:
        facets.append(
            ("column order", named(tuple(live_order), True), named(tuple(desired_order), False))
        )
    return facets


def _show(value: object) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


_KINDS = {
    "index": (Kind.MISSING_INDEX, Kind.EXTRA_INDEX, Kind.INDEX_CHANGED),
    "view": (Kind.MISSING_VIEW, Kind.EXTRA_VIEW, Kind.VIEW_CHANGED),
    "trigger": (Kind.MISSING_TRIGGER, Kind.EXTRA_TRIGGER, Kind.TRIGGER_CHANGED),
}


def _table_of(obj: Index | View | Trigger) -> str:
    return obj.table if isinstance(obj, (Index, Trigger)) else obj.key


def _diff_named(
    what: str,
    desired: dict[str, Any],
    live: dict[str, Any],
    gone_tables: set[str],
    live_tables: set[str],
) -> list[Change]:
    missing_kind, extra_kind, changed_kind = _KINDS[what]
    out: list[Change] = []
    for key, d in desired.items():
        lv = live.get(key)
        table = _display_table(d)
        if lv is None:
            out.append(
                Change(
                    missing_kind,
                    what,
                    d.name,
                    table,
                    Safety.SAFE,
                    f"{_declared(d.loc)}, absent from the database",
                    after=d.sql,
                )
            )
        elif lv.normalized != d.normalized:
            out.append(
                Change(
                    changed_kind,
                    what,
                    d.name,
                    table,
                    Safety.REBUILD,
                    f"definition differs from the database ({_declared(d.loc)})",
                    before=lv.sql,
                    after=d.sql,
                )
            )
    for key, lv in live.items():
        if key not in desired and _table_of(lv) not in gone_tables:
            out.append(
                Change(
                    extra_kind,
                    what,
                    lv.name,
                    _display_table(lv),
                    Safety.DESTRUCTIVE,
                    _extra_detail(what, lv, live_tables),
                    before=lv.sql,
                    extra=True,
                )
            )
    return out


def _extra_detail(what: str, obj: Index | View | Trigger, live_tables: set[str]) -> str:
    """Why an undeclared index, view or trigger is there; those on a table dbinit
    hides from the diff (its history, a virtual table's shadow tables) say so."""
    detail = "in the database, declared in no schema file"
    table = _table_of(obj)
    if obj.key == HISTORY_TABLE or (what == "trigger" and table == HISTORY_TABLE):
        where = "named like" if obj.key == HISTORY_TABLE else "a trigger on"
        return (
            f"{detail}; {where} dbinit's own history table {HISTORY_TABLE}: init and repair "
            "refuse to record a run while it exists (it would run inside their "
            "transaction); `dbinit repair --prune` drops it"
        )
    if what != "view" and table not in live_tables:
        return (
            f"{detail}; on {_display_table(obj)}, a table dbinit keeps out of the diff "
            "(its own history or a virtual table's shadow table)"
        )
    return detail


def _display_table(obj: Index | View | Trigger) -> str:
    """The table an index or trigger is on; for a view, the first table it reads."""
    return obj.table_name or obj.name
