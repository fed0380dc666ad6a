"""Live schema → schema files (`dbinit inspect`): one file per table with its
indexes and triggers, views (and triggers on views) in a file of their own.

The SQL is SQLite's own stored text, so `check` against the written folder
reports nothing. This module never writes to a database.
"""

from __future__ import annotations

import hashlib
import re

from dbinit.sqlite.model import Schema

Files = dict[str, list[tuple[str, str]]]  # file name -> [(object name, SQL)]


def schema_files_for(schema: Schema) -> Files:
    files: Files = {}
    tables = sorted(schema.tables.values(), key=lambda t: t.key)
    width = max(3, len(str(len(tables) + 1)))
    used: set[str] = set()
    for n, table in enumerate(tables, start=1):
        items = [(table.name, table.sql)]
        items += [(i.name, i.sql) for i in schema.indexes.values() if i.table == table.key]
        items += [(t.name, t.sql) for t in schema.triggers.values() if t.table == table.key]
        files[_file_name(n, width, table.name, used)] = items
    view_items = [(v.name, v.sql) for v in schema.views.values()]
    view_items += [(t.name, t.sql) for t in schema.triggers.values() if t.table in schema.views]
    if view_items:
        files[_file_name(len(tables) + 1, width, "views", used)] = view_items
    return files


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
