"""Deterministic workloads for the benchmarks: schemas of N tables and data.

Each table has 10 columns, 2 indexes and 1 foreign key (to the previous
table; the first refers to itself); the live database lacks every 10th table
(10 %), so `check` reports drift and `init` creates those tables. Everything is seeded: the same
arguments always give byte-identical files.
"""

from __future__ import annotations

import random
import sqlite3
from dataclasses import dataclass
from pathlib import Path

TYPES = ["TEXT", "INTEGER", "REAL", "BLOB", "NUMERIC"]


@dataclass(frozen=True)
class Col:
    name: str
    type: str
    notnull: bool
    default: str | None


@dataclass(frozen=True)
class Tab:
    name: str
    parent: str
    cols: tuple[Col, ...]  # after id and parent_id
    index_a: str
    index_b: tuple[str, str]


def tables(n: int, seed: int = 7) -> list[Tab]:
    rnd = random.Random(seed)
    out = []
    for i in range(n):
        cols = []
        for j in range(8):
            typ = rnd.choice(TYPES)
            notnull = rnd.random() < 0.3
            default = ("''" if typ == "TEXT" else "0") if notnull else None
            cols.append(Col(f"c{j}", typ, notnull, default))
        name = f"t{i:04d}"
        parent = f"t{i - 1:04d}" if i else name  # the first table refers to itself: no cycle
        out.append(Tab(name, parent, tuple(cols), "c0", ("c1", "c2")))
    return out


def create_sql(t: Tab) -> list[str]:
    cols = ["id INTEGER PRIMARY KEY", f"parent_id INTEGER REFERENCES {t.parent}(id)"]
    for c in t.cols:
        decl = f"{c.name} {c.type}"
        if c.notnull:
            decl += " NOT NULL"
        if c.default is not None:
            decl += f" DEFAULT {c.default}"
        cols.append(decl)
    body = ",\n    ".join(cols)
    return [
        f"CREATE TABLE {t.name} (\n    {body}\n)",
        f"CREATE INDEX {t.name}_a ON {t.name} ({t.index_a})",
        f"CREATE INDEX {t.name}_b ON {t.name} ({t.index_b[0]}, {t.index_b[1]})",
    ]


def is_missing(i: int) -> bool:
    return i % 10 == 9


def write_schema(folder: Path, n: int, seed: int = 7) -> Path:
    """One file per 50 tables, like a real project's schemas/ folder."""
    folder.mkdir(parents=True, exist_ok=True)
    tabs = tables(n, seed)
    for start in range(0, n, 50):
        chunk = tabs[start : start + 50]
        text = "".join(";\n".join(create_sql(t)) + ";\n\n" for t in chunk)
        (folder / f"{start // 50:03d}_tables.sql").write_text(text, encoding="utf-8")
    return folder


def write_live(path: Path, n: int, seed: int = 7) -> Path:
    """The live database: every table but each 10th one."""
    conn = sqlite3.connect(path)
    with conn:
        for i, t in enumerate(tables(n, seed)):
            if not is_missing(i):
                for sql in create_sql(t):
                    conn.execute(sql)
    conn.close()
    return path


EVENTS = (
    "CREATE TABLE events (id INTEGER PRIMARY KEY, kind TEXT NOT NULL, amount INTEGER, note TEXT)"
)
EVENTS_INDEXES = [
    "CREATE INDEX events_kind ON events (kind)",
    "CREATE INDEX events_amount ON events (amount)",
]
EVENTS_DESIRED = EVENTS.replace("amount INTEGER", "amount REAL")


def write_events(path: Path, rows: int) -> Path:
    """A table of `rows` rows and 2 indexes: the repair workload."""
    conn = sqlite3.connect(path)
    conn.execute(EVENTS)
    conn.execute(
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?) "
        "INSERT INTO events (id, kind, amount, note) "
        "SELECT i, 'kind-' || (i % 50), i * 7 % 100000, printf('note %08d', i) FROM n",
        (rows,),
    )
    for sql in EVENTS_INDEXES:
        conn.execute(sql)
    conn.commit()
    conn.close()
    return path


def write_big(path: Path, megabytes: int) -> Path:
    """A database of about `megabytes` MB for `validate` (the events schema)."""
    rows = max(1000, megabytes * 1024 * 1024 // 62)  # about 62 bytes a row, indexes included
    return write_events(path, rows)


# --- PostgreSQL ---------------------------------------------------------------
# The same tables in PostgreSQL's dialect. A table's foreign key refers to the
# previous table, or the one before it when the previous one is missing from
# the live database: PostgreSQL, unlike SQLite, checks that a referenced table
# exists, so the live database is exactly the schema minus every 10th table.

PG_TYPES = {"TEXT": "text", "INTEGER": "integer", "REAL": "real", "BLOB": "bytea"}
PG_TYPES["NUMERIC"] = "numeric"


def pg_tables(n: int, seed: int = 7) -> list[Tab]:
    out = []
    for i, t in enumerate(tables(n, seed)):
        parent = t.parent
        if i and is_missing(i - 1):
            parent = f"t{i - 2:04d}"
        out.append(Tab(t.name, parent, t.cols, t.index_a, t.index_b))
    return out


def pg_default(c: Col) -> str:
    return "''" if c.type in ("TEXT", "BLOB") else "0"


def pg_create_sql(t: Tab) -> list[str]:
    cols = [
        f"id bigint PRIMARY KEY CONSTRAINT {t.name}_id_check CHECK (id >= 0)",
        f"parent_id bigint REFERENCES {t.parent} (id)",
    ]
    for c in t.cols:
        decl = f"{c.name} {PG_TYPES[c.type]}"
        if c.notnull:
            decl += " NOT NULL"
        if c.default is not None:
            decl += f" DEFAULT {pg_default(c)}"
        cols.append(decl)
    body = ",\n    ".join(cols)
    return [
        f"CREATE TABLE {t.name} (\n    {body}\n)",
        f"CREATE INDEX {t.name}_a ON {t.name} ({t.index_a})",
        f"CREATE INDEX {t.name}_b ON {t.name} ({t.index_b[0]}, {t.index_b[1]})",
    ]


def write_pg_schema(folder: Path, n: int, seed: int = 7) -> list[Path]:
    """One file per 50 tables; returns the files in order."""
    folder.mkdir(parents=True, exist_ok=True)
    tabs = pg_tables(n, seed)
    files = []
    for start in range(0, n, 50):
        chunk = tabs[start : start + 50]
        text = "".join(";\n".join(pg_create_sql(t)) + ";\n\n" for t in chunk)
        path = folder / f"{start // 50:03d}_tables.sql"
        path.write_text(text, encoding="utf-8")
        files.append(path)
    return files


def write_pg_live(path: Path, n: int, seed: int = 7) -> Path:
    """The live database's SQL: every table but each 10th one."""
    stmts = [
        sql
        for i, t in enumerate(pg_tables(n, seed))
        if not is_missing(i)
        for sql in pg_create_sql(t)
    ]
    path.write_text(";\n".join(stmts) + ";\n", encoding="utf-8")
    return path
