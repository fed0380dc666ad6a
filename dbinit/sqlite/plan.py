"""Pure planning: typed changes → ordered SQL steps. The plan is data.

`--dry-run` prints the very `Plan` that `apply.py` executes. All non-safe
changes of one table become one rebuild step following SQLite's 12-step ALTER
TABLE procedure, built from the *declared* CREATE TABLE text. This module
never executes SQL and never looks at SQL strings to decide what a change is.
"""

from __future__ import annotations

import sqlite3
from dataclasses import replace
from typing import Any

from dbinit.changes import Change, Hazard, Kind, Safety
from dbinit.hints import using_hints
from dbinit.plan import INIT_REASON, Mode, Plan, Policy, Statement, Step
from dbinit.sqlite.introspect import HISTORY_TABLE
from dbinit.sqlite.model import Column, Index, Schema, Table, Trigger
from dbinit.sqlite.sqltext import (
    create_head,
    fold,
    lex,
    normalize,
    quote_ident,
    significant,
    table_body,
    unquote,
)

REBUILD_PREFIX = "_dbinit_new_"


def bound(sql: str, params: tuple[str | int, ...]) -> Statement:
    """A statement with bound parameters, shown with them inlined as SQL literals:
    only real `?` placeholders are replaced, never a `?` inside a quoted name,
    string or comment (nor one inside a value already inlined)."""
    values = iter(params)
    parts: list[str] = []
    done = 0
    for tok in lex(sql):
        if tok.kind == "punct" and tok.text == "?":
            value = next(values)
            shown = str(value) if isinstance(value, int) else "'" + value.replace("'", "''") + "'"
            parts += [sql[done : tok.start], shown]
            done = tok.end
    return Statement(sql, params, shown="".join(parts) + sql[done:])


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
    """Order `changes` into steps; record which ones the policy blocks.

    `repair` keeps objects the schema does not declare unless `--prune` asks to
    remove them; removing anything that holds rows (tables, columns), and any
    rebuild that cannot carry rows over, also needs `--allow-data-loss`.
    """
    prune = policy.prune or policy.mode is Mode.INIT  # init never applies an extra anyway
    full, stuck = _steps(changes, desired, live, prune=prune)
    by_change: dict[Change, tuple[Statement, ...]] = {}
    loses: dict[Change, str] = {}
    for step in full:
        for ch in step.changes:
            by_change[ch] = by_change.get(ch, ()) + step.statements
            if step.loses:
                loses[ch] = step.loses
    annotated = tuple(
        replace(
            c,
            sql=tuple(s.display() for s in by_change.get(c, ())),
            detail=_annotate(c, loses.get(c), stuck.get(c), kept=not prune),
            hazards=c.hazards + _unconverted(c, desired, live),
        )
        for c in changes
    )
    if policy.mode is Mode.INIT:
        skipped = tuple(c for c in annotated if _is_extra(c))
        blocked = tuple(c for c in annotated if c.safety is Safety.REBUILD)
        reason = INIT_REASON if blocked else ""
        steps = tuple(s for s in full if all(c.safety is Safety.SAFE for c in s.changes))
        on_history = _on_history(skipped) if steps else ()
        if on_history:
            blocked += on_history
            reason = "; ".join(r for r in (reason, ON_HISTORY) if r)
        refused = (live.history or "") if steps else ""
        return Plan(steps, skipped, blocked, reason, annotated, _fk_tables(steps, desired), refused)
    original = dict(zip(annotated, changes, strict=True))
    pruned = [
        c for c in annotated if policy.prune and c.kind in (Kind.EXTRA_TABLE, Kind.EXTRA_COLUMN)
    ]
    lossy = [c for c in annotated if original[c] in loses]
    lost = sorted({loses[original[c]] for c in lossy})
    stuck_why = sorted({stuck[original[c]] for c in annotated if original[c] in stuck})
    blocked_list: list[Change] = []
    reasons = []
    if pruned and not policy.allow_data_loss:
        blocked_list += pruned
        reasons.append(
            "removing undeclared tables or columns (even empty ones) needs --allow-data-loss "
            "with --prune; to keep them, leave out --prune or declare them "
            "(`dbinit inspect` prints their SQL)"
        )
    if lossy and not policy.allow_data_loss:
        blocked_list += lossy
        reasons.append(f"{'; '.join(lost)}: rebuilding loses them, so it needs --allow-data-loss")
    held = [c for c in annotated if original[c] in stuck]
    if held:
        blocked_list += held
        reasons.append(
            f"{'; '.join(stuck_why)}: declare them (`dbinit inspect` prints their SQL) "
            "or remove them with --prune"
        )
    kept = () if policy.prune else tuple(c for c in annotated if _is_extra(c))
    on_history = _on_history(kept) if full else ()
    if on_history:
        blocked_list += on_history
        reasons.append(ON_HISTORY)
    return Plan(
        tuple(full),
        kept,
        tuple(blocked_list),
        "; ".join(reasons),
        annotated,
        _fk_tables(full, desired),
        (live.history or "") if full else "",
    )


ON_HISTORY = (
    f"an object on dbinit's history table {HISTORY_TABLE} would run inside the transaction "
    "that records this run: `dbinit repair --prune` drops it"
)


def _on_history(kept: tuple[Change, ...]) -> tuple[Change, ...]:
    """Kept extras on (or named like) the history table: recording a run would
    meet them (apply.py refuses under the lock too), so a plan that writes and
    keeps them is refused up front, dry runs included."""
    return tuple(c for c in kept if HISTORY_TABLE in (fold(c.table), fold(c.name)))


def _unconverted(c: Change, desired: Schema, live: Schema) -> tuple[Hazard, ...]:
    """A type change without `-- dbinit: using=EXPR`: the rebuild copies each value
    as it is (SQLite converts only what converts losslessly: 100.5 stays a REAL in
    an INTEGER column of a plain table; a STRICT table refuses it)."""
    if c.kind is not Kind.COLUMN_CHANGED or not c.column:
        return ()
    dt = desired.tables.get(fold(c.table))
    dc = dt.column(fold(c.column)) if dt else None
    if dt is None or dc is None:
        return ()
    lt = live.tables.get(fold(dt.renamed_from or "")) or live.tables.get(dt.key)
    lc = lt.column(fold(dc.renamed_from or "")) or lt.column(dc.key) if lt else None
    if lc is None or lc.type == dc.type:
        return ()
    if fold(dc.name) in {fold(n) for n, _ in using_hints(dt.sql)}:
        return ()
    return (
        Hazard(
            "conversion",
            f"values are copied as they are ({lc.declared_type or 'no type'} → "
            f"{dc.declared_type or 'no type'}); "
            "`-- dbinit: using=EXPR` on the column's line says how to convert them",
        ),
    )


def _annotate(c: Change, loses: str | None, stuck: str | None, *, kept: bool) -> str:
    """The change's detail, plus what the plan does about it and why."""
    detail = c.detail
    if loses:
        detail += f"; {loses}, so rebuilding it needs --allow-data-loss"
    if stuck:
        detail += f"; {stuck}"
    elif kept and _is_extra(c):
        detail += "; kept (`--prune` removes it; `dbinit inspect` prints its SQL to declare it)"
    return detail


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


def _steps(
    changes: list[Change], desired: Schema, live: Schema, *, prune: bool
) -> tuple[list[Step], dict[Change, str]]:
    """The ordered steps; without `prune`, extra objects are kept (a rebuilt table
    carries its live-only columns, indexes and triggers over) and the second
    value says, per extra change, why one cannot be kept."""
    rebuild: dict[str, list[Change]] = {}  # desired table key -> its non-safe changes
    live_key_of: dict[str, str] = {}  # desired table key -> live table key
    for t in desired.tables.values():
        if t.key in live.tables:
            live_key_of[t.key] = t.key
    for c in changes:
        if c.kind is Kind.TABLE_RENAMED and c.before is not None:
            live_key_of[fold(c.name)] = fold(c.before)
    extras = [] if prune else [c for c in changes if _is_extra(c)]
    changes = changes if prune else [c for c in changes if not _is_extra(c)]
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

    # Tables whose only change is hinted column renames: renamed in place.
    absorbed: set[Change] = set()
    for tkey in list(rebuild):
        step = _rename_in_place(tkey, rebuild[tkey], changes, extras, desired, live)
        if step is not None:
            del rebuild[tkey]
            rebuilds.append(step)
            absorbed |= set(step.changes)

    for c in changes:
        k = c.kind
        if c in absorbed:
            continue
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

    stuck = _kept_extras(extras, rebuild, live_key_of, live)
    for tkey, table_changes in rebuild.items():
        dt = desired.tables[tkey]
        lt = live.tables[live_key_of[tkey]]
        keep = [c for c in extras if fold(c.table) == tkey and c not in stuck]
        rebuilds.append(_rebuild_step(dt, lt, desired, table_changes, live, keep))

    return early + creates + columns + rebuilds + late + view_creates, stuck


def _rename_in_place(
    tkey: str,
    table_changes: list[Change],
    changes: list[Change],
    extras: list[Change],
    desired: Schema,
    live: Schema,
) -> Step | None:
    """One `ALTER TABLE … RENAME COLUMN` per hinted rename, when nothing else about
    the table changes (SQLite ≥ 3.25 renames in place and rewrites the indexes,
    triggers, views and foreign keys that name the column; no 12-step copy). The
    step also carries the index, trigger and view changes the rename alone
    resolves. None: the table needs its rebuild."""
    if sqlite3.sqlite_version_info < (3, 25, 0):
        return None
    if any(c.kind is not Kind.COLUMN_RENAMED for c in table_changes):
        return None
    lt, dt = live.tables.get(tkey), desired.tables.get(tkey)
    if lt is None or dt is None or lt.virtual or dt.virtual:
        return None
    # An undeclared object kept on the table (or reading it) would follow the
    # rename in ways the plan does not show: the rebuild says what it does.
    if any(fold(c.table) == tkey or _mentions(c.before or "", {tkey}) for c in extras):
        return None
    renames = {fold(c.before or ""): c for c in table_changes}
    if any(not old or lt.column(old) is None for old in renames):
        return None
    follows: list[Change] = []
    pools: dict[Kind, tuple[dict[str, Any], dict[str, Any]]] = {
        Kind.INDEX_CHANGED: (desired.indexes, live.indexes),
        Kind.TRIGGER_CHANGED: (desired.triggers, live.triggers),
        Kind.VIEW_CHANGED: (desired.views, live.views),
    }
    new_names = {old: c.after or c.name for old, c in renames.items()}
    for c in changes:
        if c.kind not in pools:
            continue
        want, have = pools[c.kind]
        d, lv = want.get(fold(c.name)), have.get(fold(c.name))
        if d is None or lv is None:
            continue
        if c.kind is not Kind.VIEW_CHANGED and lv.table != tkey:
            continue
        if c.kind is Kind.VIEW_CHANGED and not _mentions(lv.sql, {tkey}):
            continue
        if _with_names(lv.normalized, new_names) == d.normalized:
            follows.append(c)
    stmts = tuple(
        Statement(
            f"ALTER TABLE {quote_ident(lt.name)} RENAME COLUMN "
            f"{quote_ident(lt.column(old).name)} TO {quote_ident(new_names[old])}"  # type: ignore[union-attr]
        )
        for old in renames
    )
    shown = ", ".join(f"{c.before} → {c.after}" for c in table_changes)
    return Step(
        f"rename column(s) of {dt.name} in place ({shown})", stmts, (*table_changes, *follows)
    )


def _with_names(normalized: str, new_names: dict[str, str]) -> str:
    """A normalized text with every name in `new_names` (folded) replaced, in
    canonical form: what SQLite's RENAME COLUMN makes of the live text."""
    out = []
    for tok in significant(lex(normalized)):
        key = fold(unquote(tok.text)) if tok.kind in ("word", "ident") else None
        if key is not None and key in new_names:
            out.append(normalize(quote_ident(new_names[key])))
        else:
            out.append(tok.text)
    return " ".join(out)


def _kept_extras(
    extras: list[Change],
    rebuild: dict[str, list[Change]],
    live_key_of: dict[str, str],
    live: Schema,
) -> dict[Change, str]:
    """Why an extra object cannot survive the rebuilds as it is (by change id).

    A live-only column of a rebuilt table is carried over unless it is part of
    the rowid or computed (PRIMARY KEY, generated); an extra index, trigger or
    view cannot be kept when it names a table or column the schema renames.
    """
    vanished: set[str] = set()  # live names that no longer exist after the rebuilds
    for tkey, table_changes in rebuild.items():
        if live_key_of.get(tkey, tkey) != tkey:
            vanished.add(live_key_of[tkey])
        vanished |= {
            fold(c.before) for c in table_changes if c.kind is Kind.COLUMN_RENAMED and c.before
        }
    rebuilt = {live_key_of.get(k, k) for k in rebuild}
    stuck: dict[Change, str] = {}
    for c in extras:
        if c.kind is Kind.EXTRA_COLUMN and fold(c.table) in rebuild:
            lt = live.tables[live_key_of[fold(c.table)]]
            col = lt.column(fold(c.column or ""))
            if col is not None and (col.is_generated or _holds_primary_key(col)):
                what = "generated" if col.is_generated else "PRIMARY KEY"
                stuck[c] = (
                    f"{lt.name} must be rebuilt and its undeclared {what} column "
                    f"{col.name} cannot be carried over"
                )
        elif c.kind in (Kind.EXTRA_INDEX, Kind.EXTRA_TRIGGER, Kind.EXTRA_VIEW) and c.before:
            on = fold(c.table) in rebuilt or c.kind is Kind.EXTRA_VIEW
            names = sorted({n for n in vanished if _mentions(c.before, {n})})
            if on and names:
                stuck[c] = (
                    f"undeclared {c.object} {c.name} uses {', '.join(names)}, which the schema "
                    "renames, so it cannot be kept as it is"
                )
    return stuck


def _holds_primary_key(col: Column) -> bool:
    return any(t.is_kw("PRIMARY") for t in significant(lex(col.definition)))


def _step(description: str, sql: list[str], change: Change) -> Step:
    return Step(description, tuple(Statement(s) for s in sql), (change,))


def _mentions(sql: str, table_keys: set[str]) -> bool:
    from dbinit.sqlite.sqltext import unquote

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


_FTS = ("fts3", "fts4", "fts5")
_TABLE_CONSTRAINTS = ("CONSTRAINT", "PRIMARY", "UNIQUE", "CHECK", "FOREIGN")
_ROWID_NAMES = ("rowid", "_rowid_", "oid")


def virtual_module(t: Table) -> tuple[str, dict[str, str]]:
    """The module of a virtual table (lower case) and its `key=value` arguments."""
    toks = significant(lex(t.sql))
    at = next((i for i, tok in enumerate(toks) if tok.is_kw("USING")), -1)
    if at < 0 or at + 1 >= len(toks):
        return "", {}
    module = unquote(toks[at + 1].text).lower()
    options: dict[str, str] = {}
    args: list[list[str]] = [[]]
    depth = 0
    for tok in toks[at + 2 :]:
        if tok.text == "(":
            depth += 1
            if depth == 1:
                continue
        elif tok.text == ")":
            depth -= 1
            if depth == 0:
                break
        if depth == 1 and tok.text == ",":
            args.append([])
            continue
        text = tok.text
        if tok.kind == "string":
            text = text[1:-1].replace("''", "'")
        elif tok.kind == "ident":
            text = unquote(text)
        args[-1].append(text)
    for arg in args:
        if len(arg) >= 2 and arg[1] == "=":
            options[fold(arg[0])] = " ".join(arg[2:])
    return module, options


def _readable(t: Table) -> tuple[bool, str]:
    """Whether every value of `t` can be read back, and if not, why not."""
    if not t.virtual:
        return True, ""
    module, options = virtual_module(t)
    if module in _FTS and options.get("content") == "":
        return False, f"{t.name} is a contentless {module.upper()} table (content='')"
    if module == "fts4" and "languageid" in options:
        return False, f"{t.name} keeps a hidden FTS4 languageid column"
    if module not in (*_FTS, "rtree", "rtree_i32") or not t.columns:
        return False, f"{t.name} uses the module {module or '?'}, whose rows dbinit cannot copy"
    return True, ""


def _rowid_source(t: Table) -> str | None:
    """How to read the rowid of live table `t` (None: it has none to keep)."""
    if t.virtual:
        return "rowid" if virtual_module(t)[0] in (*_FTS, "rtree", "rtree_i32") else None
    if t.without_rowid:
        return None
    if t.rowid_alias:
        col = t.column(t.rowid_alias)
        return quote_ident(col.name) if col else None
    return next((n for n in _ROWID_NAMES if n not in t.column_keys), None)


def _rowid_target(t: Table, more_columns: set[str]) -> str | None:
    """How to write the rowid of the declared table `t` (plus `more_columns`)."""
    if t.virtual:
        return "rowid" if virtual_module(t)[0] in _FTS else None
    if t.without_rowid:
        return None
    if t.rowid_alias:
        col = t.column(t.rowid_alias)
        return quote_ident(col.name) if col else None
    taken = set(t.column_keys) | more_columns
    return next((n for n in _ROWID_NAMES if n not in taken), None)


def _loses(dt: Table, lt: Table, copied: set[str]) -> str:
    """Why rebuilding `lt` as `dt` loses rows or values ("" when it keeps them all).
    Live-only columns of plain tables are extra columns with their own guard."""
    ok, why = _readable(lt)
    if not ok:
        return f"{why}: its rows cannot be read back"
    module, options = virtual_module(dt) if dt.virtual else ("", {})
    if module in _FTS and options.get("content") == "":
        return f"the declared {dt.name} is contentless (content=''): its values are not kept"
    if dt.virtual or lt.virtual:
        dropped = [c.name for c in lt.columns if c.key not in copied and not c.is_generated]
        if dropped:
            return f"the values of {lt.name}.{', '.join(dropped)} have no declared column"
    return ""


def with_columns(sql: str, definitions: list[str]) -> str:
    """A CREATE TABLE text with column definitions added after its last column."""
    toks = significant(lex(sql))
    body = table_body(toks)
    if body is None or not definitions:
        return sql
    open_at, close_at = body
    last_end = toks[open_at].end
    depth, clause_start = 0, open_at + 1
    for i in range(open_at + 1, close_at + 1):
        tok = toks[i]
        if tok.text == "(":
            depth += 1
        elif tok.text == ")" and depth:
            depth -= 1
        elif depth == 0 and (tok.text == "," or i == close_at):
            if clause_start < i and not toks[clause_start].is_kw(*_TABLE_CONSTRAINTS):
                last_end = toks[i - 1].end
            clause_start = i + 1
    return sql[:last_end] + "".join(", " + d for d in definitions) + sql[last_end:]


def _rebuild_step(
    dt: Table,
    lt: Table,
    desired: Schema,
    changes: list[Change],
    live: Schema,
    keep: list[Change],
) -> Step:
    """SQLite's 12 steps for one table, keeping every row, its rowid, and the
    live-only columns, indexes and triggers in `keep` (extras not pruned)."""
    tmp = REBUILD_PREFIX + dt.name
    renames = {
        fold(c.name): fold(c.before)
        for c in changes
        if c.kind is Kind.COLUMN_RENAMED and c.before and c.table == dt.name
    }
    live_cols = {c.key: c for c in lt.columns}
    carried = [
        col
        for c in keep
        if c.kind is Kind.EXTRA_COLUMN and (col := live_cols.get(fold(c.column or ""))) is not None
    ]
    targets: list[str] = []
    sources: list[str] = []
    pairs: list[tuple[str, str]] = []
    copied: set[str] = set()
    # `-- dbinit: using=EXPR` says how to convert a column whose type changes.
    using = {fold(name): expr for (name, _), expr in using_hints(dt.sql).items()}
    for col in (*dt.columns, *carried):
        src = live_cols.get(renames.get(col.key, col.key))
        if src is None or col.is_generated:
            continue
        targets.append(quote_ident(col.name))
        convert = using.get(col.key) if src.type != col.type else None
        sources.append(f"({convert})" if convert else quote_ident(src.name))
        pairs.append((col.name, src.name))
        copied.add(src.key)
    # Keep each row's identity: the hidden rowid (or a rowid alias no live column
    # fills) takes the old rowid, which `INSERT … SELECT` of the columns renumbers.
    alias_copied = any(fold(n) == dt.rowid_alias for n, _ in pairs)
    target = _rowid_target(dt, {c.key for c in carried})
    source = _rowid_source(lt)
    if target and source and not alias_copied:  # even when no column is shared
        targets.insert(0, target)
        sources.insert(0, source)
    loses = _loses(dt, lt, copied)
    create = with_columns(renamed_create(dt.sql, tmp), [c.definition for c in carried])
    stmts: list[Statement] = [Statement(create)]
    if targets and _readable(lt)[0]:
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
            bound(
                "UPDATE sqlite_sequence SET seq = (SELECT max(seq) FROM sqlite_sequence "
                "WHERE name IN (?, ?)) WHERE name = ?",
                (tmp, lt.name, tmp),
            )
        )
        stmts.append(
            bound(
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
    for c in keep:  # undeclared indexes and triggers on the table, kept as they were
        if c.kind is Kind.EXTRA_INDEX and (ix := live.indexes.get(fold(c.name))) is not None:
            stmts.append(Statement(ix.sql))
        elif c.kind is Kind.EXTRA_TRIGGER and (tg := live.triggers.get(fold(c.name))) is not None:
            stmts.append(Statement(tg.sql))
    what = ", ".join(sorted({c.kind.value for c in changes}))
    return Step(
        f"rebuild table {dt.name} ({what})",
        tuple(stmts),
        tuple(changes),
        dt.name,
        tuple(pairs),
        loses,
    )
