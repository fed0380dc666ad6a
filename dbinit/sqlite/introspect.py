"""Connection → `Schema`, in a fixed handful of queries whatever the table count.

The same function reads the live database and the `:memory:` database built
from the schema files, so a parser mismatch cannot invent drift. Facts come
from `sqlite_schema` and table-valued PRAGMA joins (`table_xinfo`,
`foreign_key_list`, `index_list`/`index_info`, `table_list`); CHECK
constraints and AUTOINCREMENT from sqlite-utils' CREATE TABLE parser; column
COLLATE and generated expressions from `sqltext`. Internal objects are
filtered here and nowhere else. This module never writes.
"""

from __future__ import annotations

import functools
import sqlite3
from collections import defaultdict
from dataclasses import replace

from dbinit.remember import STATE_TABLE as STATE
from dbinit.sqlite.model import (
    Check,
    Column,
    ForeignKey,
    Index,
    IndexColumn,
    Schema,
    Table,
    Trigger,
    View,
)
from dbinit.sqlite.sqltext import (
    ColumnClause,
    column_clauses,
    fold,
    lex,
    normalize,
    normalize_expr,
    normalize_type,
    readable,
    significant,
    unquote,
)

HISTORY_TABLE = "_dbinit_history"
STATE_TABLE = STATE  # the remembered desired models (dbinit.remember)
# The columns dbinit writes a run into (besides its INTEGER PRIMARY KEY `id`).
HISTORY_WRITTEN = (
    "applied_at",
    "command",
    "dbinit_version",
    "schema_checksum",
    "statements",
    "changes",
    "outcome",
    "duration_ms",
)

_OBJECTS = """
SELECT type, name, tbl_name, sql FROM sqlite_schema
WHERE type IN ('table', 'index', 'view', 'trigger')
"""
# Read once: joined per row of sqlite_schema it would cost O(tables²).
_TABLE_LIST = "SELECT name, type, wr, strict FROM pragma_table_list WHERE schema = 'main'"
_PLAIN_TABLES = (
    "FROM sqlite_schema AS s {join} WHERE s.type = 'table' AND s.sql NOT LIKE 'CREATE VIRTUAL%'"
    " AND s.name NOT LIKE 'sqlite^_%' ESCAPE '^'"
)
_COLUMNS = (
    'SELECT s.name, p.name, p.type, p."notnull", p.dflt_value, p.pk, p.hidden '
    + _PLAIN_TABLES.format(join="JOIN pragma_table_xinfo(s.name) AS p")
    + " ORDER BY s.name, p.cid"
)
_FOREIGN_KEYS = (
    'SELECT s.name, f.id, f."table", f."from", f."to", f.on_update, f.on_delete, f."match" '
    + _PLAIN_TABLES.format(join="JOIN pragma_foreign_key_list(s.name) AS f")
    + " ORDER BY s.name, f.id, f.seq"
)
_INDEX_KEYS = (
    'SELECT s.name, il.name, il.origin, ix.name, ix."desc", ix.coll '
    + _PLAIN_TABLES.format(
        join="JOIN pragma_index_list(s.name) AS il JOIN pragma_index_xinfo(il.name) AS ix"
    )
    + " AND ix.key = 1 ORDER BY s.name, il.name, ix.seqno"
)


def is_internal(name: str, *, shadow: bool = False) -> bool:
    """The one filter for tables that are never diffed: SQLite's own (`sqlite_%`),
    a virtual table's shadow tables, dbinit's history. Also the names a schema
    file may not declare."""
    key = fold(name)
    return shadow or key.startswith("sqlite_") or key in (HISTORY_TABLE, STATE_TABLE)


def is_own(otype: str, name: str, sql: str | None, *, shadow: bool = False) -> bool:
    """Whether an object of `sqlite_schema` belongs to SQLite, a virtual table or
    dbinit, and so is never diffed. Only tables can: every index, view and
    trigger with SQL text was made by someone else, even on a hidden table or
    under a reserved name (SQLite's own indexes have no SQL), and is reported."""
    return sql is None or (otype == "table" and is_internal(name, shadow=shadow))


def history_problem(conn: sqlite3.Connection) -> str | None:
    """Why dbinit could not record a run in an existing history table made by
    someone else (None: absent, or a table of the shape dbinit writes)."""
    row = conn.execute(
        "SELECT type, sql FROM sqlite_schema WHERE name = ? COLLATE NOCASE AND type = 'table'",
        (HISTORY_TABLE,),
    ).fetchone()
    if row is None:
        return None
    if str(row[1] or "").upper().startswith("CREATE VIRTUAL"):
        what = "it is a virtual table"
    else:
        columns = {
            str(name).lower(): (bool(notnull), dflt is not None or pk)
            for name, notnull, dflt, pk in conn.execute(
                f'SELECT name, "notnull", dflt_value, pk FROM pragma_table_xinfo("{HISTORY_TABLE}")'
            )
        }
        missing = [c for c in ("id", *HISTORY_WRITTEN) if c not in columns]
        required = [
            c
            for c, (notnull, filled) in columns.items()
            if notnull and not filled and c not in HISTORY_WRITTEN
        ]
        if missing:
            what = f"column{'s' if len(missing) > 1 else ''} {', '.join(missing)} missing"
        elif required:
            what = f"column{'s' if len(required) > 1 else ''} {', '.join(required)} NOT NULL"
        else:
            return None
    return (
        f"{HISTORY_TABLE} (dbinit's history table) was changed outside dbinit and cannot "
        f"record this run: {what}; rename it (ALTER TABLE {HISTORY_TABLE} RENAME TO "
        f"old_history) or drop it, then run again: dbinit creates a new one"
    )


def introspect(conn: sqlite3.Connection) -> Schema:
    """Read every user object of the `main` schema of `conn`, from one snapshot."""
    if conn.in_transaction:
        return _introspect(conn)
    conn.execute("BEGIN")
    try:
        return _introspect(conn)
    finally:
        conn.execute("COMMIT")


def _introspect(conn: sqlite3.Connection) -> Schema:
    (version,) = conn.execute("PRAGMA schema_version").fetchone()
    rows = conn.execute(_OBJECTS).fetchall()
    table_list = {
        name: (ltype, wr, strict) for name, ltype, wr, strict in conn.execute(_TABLE_LIST)
    }
    plain: dict[str, tuple[str, str, bool, bool]] = {}  # key -> (name, sql, wr, strict)
    virtual: dict[str, tuple[str, str]] = {}
    schema = Schema(version=version, history=history_problem(conn))
    for otype, name, _tbl, sql in rows:
        if otype == "table":
            ltype, wr, strict = table_list.get(name, ("table", 0, 0))
            if is_own(otype, name, sql, shadow=ltype == "shadow"):
                continue
            if sql.upper().startswith("CREATE VIRTUAL"):
                virtual[fold(name)] = (name, sql)
            else:
                plain[fold(name)] = (name, sql, bool(wr), bool(strict))
    names = {k: v[0] for k, v in (plain | virtual).items()}
    for otype, name, tbl_name, sql in rows:
        if otype == "table" or is_own(otype, name, sql):
            continue  # tables done above; autoindexes belong to table constraints
        table = fold(tbl_name)
        key = fold(name)
        if otype == "index":
            unique = sql.split(None, 2)[1].upper() == "UNIQUE"
            schema.indexes[key] = Index(
                key, table, unique, normalize(sql), name=name, table_name=tbl_name, sql=sql
            )
        elif otype == "view":
            reads = _first_table(sql, names)
            schema.views[key] = View(key, normalize(sql), name=name, sql=sql, table_name=reads)
        elif otype == "trigger":
            schema.triggers[key] = Trigger(
                key, table, normalize(sql), name=name, table_name=tbl_name, sql=sql
            )

    columns: dict[str, list[tuple[str, str, int, str | None, int, int]]] = defaultdict(list)
    for tname, *col in conn.execute(_COLUMNS):
        columns[fold(tname)].append(tuple(col))
    fks: dict[str, dict[int, list[tuple[str, str, str | None, str, str, str]]]] = defaultdict(
        lambda: defaultdict(list)
    )
    for tname, fk_id, ref, frm, to, on_update, on_delete, match in conn.execute(_FOREIGN_KEYS):
        fks[fold(tname)][fk_id].append((ref, frm, to, on_update, on_delete, match))
    uniques: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    index_columns: dict[str, list[IndexColumn]] = defaultdict(list)
    pk_indexed: set[str] = set()  # tables whose PRIMARY KEY is an index, not the rowid
    for tname, iname, origin, cname, desc, coll in conn.execute(_INDEX_KEYS):
        if origin == "pk":
            pk_indexed.add(fold(tname))
        elif origin == "u":
            uniques[fold(tname)][iname].append(fold(cname or ""))
        elif origin == "c":
            index_columns[fold(iname)].append(IndexColumn(cname, bool(desc), str(coll).upper()))
    for ikey, index in list(schema.indexes.items()):
        schema.indexes[ikey] = replace(
            index, columns=tuple(index_columns[ikey]), where=_where(index.normalized)
        )

    for key, (name, sql) in virtual.items():
        schema.tables[key] = Table(
            key,
            _virtual_columns(conn, name),
            (),
            (),
            (),
            (),
            False,
            False,
            False,
            normalize(sql),
            name=name,
            sql=sql,
        )
    for key, (name, sql, wr, strict) in plain.items():
        # What PRAGMAs say of a table follows from its CREATE TABLE text alone, so
        # a table already read elsewhere (the other side of the diff) is reused.
        known = _TABLES_READ.get(sql)
        if known is None or known.name != name:
            known = _table(
                key, name, sql, wr, strict, columns[key], fks[key].values(), uniques[key].values()
            )
            if not wr and len(known.primary_key) == 1 and key not in pk_indexed:
                known = replace(known, rowid_alias=known.primary_key[0])
            if len(_TABLES_READ) > 20_000:
                _TABLES_READ.clear()
            _TABLES_READ[sql] = known
        schema.tables[key] = known
    return schema


_TABLES_READ: dict[str, Table] = {}


def _where(normalized: str) -> str | None:
    """The condition of a partial index, from its canonical text."""
    _, sep, condition = normalized.partition(" where ")
    return condition if sep else None


def _first_table(view_sql: str, tables: dict[str, str]) -> str:
    """The first table a view reads (after FROM or JOIN), as declared; else ''."""
    toks = significant(lex(view_sql))
    for i, tok in enumerate(toks[:-1]):
        if tok.is_kw("FROM", "JOIN"):
            nxt = toks[i + 1]
            if nxt.kind in ("word", "ident"):
                key = fold(unquote(nxt.text))
                if key in tables:
                    return tables[key]
    return ""


def _virtual_columns(conn: sqlite3.Connection, name: str) -> tuple[Column, ...]:
    """Columns of a virtual table (so a rebuild can copy them); none when its
    module is not available in this SQLite."""
    try:
        rows = conn.execute(
            "SELECT name, type FROM pragma_table_xinfo(?) WHERE hidden = 0", (name,)
        ).fetchall()
    except sqlite3.Error:
        return ()
    return tuple(
        Column(
            fold(c),
            normalize_type(t or ""),
            False,
            None,
            None,
            0,
            None,
            name=c,
            definition=c,
            declared_type=t or "",
        )
        for c, t in rows
    )


@functools.lru_cache(maxsize=8192)
def _constraints(sql: str) -> tuple[tuple[Check, ...], bool]:
    """CHECK constraints and AUTOINCREMENT of a CREATE TABLE (cached by text:
    the desired and live sides usually share it)."""
    from sqlite_utils.create_table_parser import ParseError, parse_autoincrement, parse_checks

    upper = sql.upper()
    try:
        # sqlite-utils' parser is thorough but slow: only ask when the text can hold the answer.
        found = parse_checks(sql) if "CHECK" in upper else []
        checks = tuple(
            sorted(
                (
                    Check(
                        normalize_expr(c.check) or "",
                        fold(c.column) or None,
                        readable(c.check, bare=True),
                    )
                    for c in found
                ),
                key=lambda c: (c.column or "", c.expr),
            )
        )
        autoincrement = "AUTOINCREMENT" in upper and parse_autoincrement(sql) is not None
    except ParseError:
        # Fall back to the whole definition: never silently lose a constraint.
        return (Check(normalize(sql), None, readable(sql)),), "AUTOINCREMENT" in upper
    return checks, autoincrement


def _table(
    key: str,
    name: str,
    sql: str,
    without_rowid: bool,
    strict: bool,
    columns: list[tuple[str, str, int, str | None, int, int]],
    fk_groups: object,
    unique_groups: object,
) -> Table:
    clauses: dict[str, ColumnClause] = {fold(c.name): c for c in column_clauses(sql)}
    cols: list[Column] = []
    pk: list[tuple[int, str]] = []
    for cname, ctype, notnull, default, pk_pos, hidden in columns:
        ckey = fold(cname)
        clause = clauses.get(ckey)
        cols.append(
            Column(
                key=ckey,
                type=normalize_type(ctype or ""),
                notnull=bool(notnull),
                default=normalize_expr(default),
                collate=clause.collate if clause else None,
                hidden=hidden,
                generated=clause.generated if clause else None,
                name=cname,
                definition=clause.text if clause else cname,
                references=clause.references if clause else False,
                renamed_from=clause.hint if clause else None,
                declared_type=ctype or "",
                declared_default=default,
            )
        )
        if pk_pos:
            pk.append((pk_pos, ckey))
    foreign_keys = []
    for group in fk_groups:  # type: ignore[attr-defined]
        ref, _, _, on_update, on_delete, match = group[0]
        to_cols = tuple(fold(g[2]) for g in group if g[2] is not None)
        foreign_keys.append(
            ForeignKey(
                columns=tuple(fold(g[1]) for g in group),
                ref_table=fold(ref),
                ref_columns=to_cols,
                on_update=on_update.upper(),
                on_delete=on_delete.upper(),
                match=match.upper(),
            )
        )
    checks, autoincrement = _constraints(sql)
    return Table(
        key=key,
        columns=tuple(cols),
        primary_key=tuple(k for _, k in sorted(pk)),
        uniques=tuple(sorted(tuple(u) for u in unique_groups)),  # type: ignore[attr-defined]
        checks=checks,
        foreign_keys=tuple(sorted(foreign_keys, key=lambda f: (f.columns, f.ref_table))),
        strict=strict,
        without_rowid=without_rowid,
        autoincrement=autoincrement,
        virtual=None,
        name=name,
        sql=sql,
    )
