"""Live schema → schema files (`dbinit inspect`): one file per table with its
indexes and triggers, views (and triggers on views) in a file of their own.

The SQL is SQLite's own stored text, so `check` against the written folder
reports nothing. This module never writes to a database.
"""

from __future__ import annotations

import hashlib
import re

from dbinit.sqlite.model import Schema, Table
from dbinit.sqlite.sqltext import HINT, fold, lex

Files = dict[str, list[tuple[str, str]]]  # file name -> [(object name, SQL)]


def schema_files_for(schema: Schema) -> Files:
    """Numbered from 001 as on PostgreSQL: a referenced table before the tables
    that refer to it (ties and cycles by name), views last."""
    files: Files = {}
    tables = _dependency_order(schema)
    width = max(3, len(str(len(tables) + 1)))
    used: set[str] = set()
    for n, table in enumerate(tables, start=1):
        items = [(table.name, without_hints(table.sql))]
        items += [(i.name, i.sql) for i in schema.indexes.values() if i.table == table.key]
        items += [(t.name, t.sql) for t in schema.triggers.values() if t.table == table.key]
        files[_file_name(n, width, table.name, used)] = items
    view_items = [(v.name, v.sql) for v in schema.views.values()]
    view_items += [(t.name, t.sql) for t in schema.triggers.values() if t.table in schema.views]
    if view_items:
        files[_file_name(len(tables) + 1, width, "views", used)] = view_items
    return files


def _dependency_order(schema: Schema) -> list[Table]:
    remaining = sorted(schema.tables.values(), key=lambda t: t.key)
    needs = {
        t.key: {fold(fk.ref_table) for fk in t.foreign_keys} & set(schema.tables) - {t.key}
        for t in remaining
    }
    out: list[Table] = []
    while remaining:
        pending = {t.key for t in remaining}
        pick = next((t for t in remaining if not needs[t.key] & pending), remaining[0])
        remaining.remove(pick)
        out.append(pick)
    return out


def without_hints(sql: str) -> str:
    """`sql` without its `dbinit: renamed-from=…` comments (SQLite keeps a
    CREATE TABLE as written): the schema as it is, not a rename that happened."""
    if "dbinit:" not in sql:
        return sql
    out: list[str] = []
    for tok in lex(sql, spaces=True):
        if tok.kind == "comment" and HINT.search(tok.text):
            if out and out[-1].strip(" \t") == "":  # the spaces before it on its line
                out[-1] = out[-1].rstrip(" \t")
            continue
        out.append(tok.text)
    return "".join(out)


_STEM_MAX = 60  # far below any filesystem's limit on a file name (255 bytes)


def _file_name(n: int, width: int, name: str, used: set[str]) -> str:
    stem = re.sub(r"[^A-Za-z0-9_-]+", "_", name).strip("_") or "table"
    if len(stem) > _STEM_MAX:  # shortened, and told apart by a hash of the whole name
        digest = hashlib.sha256(name.encode("utf-8", "surrogatepass")).hexdigest()[:10]
        stem = f"{stem[:_STEM_MAX]}_{digest}"
    candidate = f"{n:0{width}d}_{stem}.sql"
    used.add(candidate)
    return candidate


def render_sql(statements: list[str]) -> str:
    from sqlite_utils.create_table_parser import sql_ends_in_line_comment

    parts = []
    for sql in statements:
        end = "\n;" if sql_ends_in_line_comment(sql) else ";"
        parts.append(sql.strip() + end)
    return "\n\n".join(parts) + "\n"
