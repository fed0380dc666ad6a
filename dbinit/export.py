"""Live schema → schema files (`dbinit inspect`): one file per table with its
indexes and triggers, views (and triggers on views) in a file of their own.

The SQL is SQLite's own stored text, so `check` against the written folder
reports nothing. This module never writes to a database.
"""

from __future__ import annotations

import re
from pathlib import Path

from dbinit.errors import Refused, from_os
from dbinit.model import Schema

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


def _file_name(n: int, width: int, name: str, used: set[str]) -> str:
    stem = re.sub(r"[^A-Za-z0-9_-]+", "_", name).strip("_") or "table"
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


def write_schema_files(folder: Path, files: Files) -> None:
    if folder.exists() and any(folder.rglob("*.sql")):
        raise Refused(
            f"Output folder {folder} already holds .sql files; choose a new or empty folder",
            details="nothing was written",
        )
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise from_os(exc, folder, creating_parent=True) from None
    for name, items in files.items():
        try:
            (folder / name).write_text(render_sql([s for _, s in items]), encoding="utf-8")
        except OSError as exc:
            raise from_os(exc, folder / name) from None
