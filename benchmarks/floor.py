"""The stdlib floor: the least a correct schema diff must do, with no libraries.

    python floor.py check SCHEMA_DIR DB     exit 1 on drift, 0 in sync
    python floor.py init  SCHEMA_DIR DB     create what is missing in one transaction

Schema files are executed into `:memory:`; both sides are read with the same
table-valued PRAGMA joins; tables, columns (type, NOT NULL, default, primary
key), foreign keys and index definitions are compared. No file:line errors,
no normalization of spellings, no safety classes, no report: a floor, not a tool.
"""

from __future__ import annotations

import sqlite3
import sys
from collections import defaultdict
from pathlib import Path

COLUMNS = (
    'SELECT s.name, p.name, p.type, p."notnull", p.dflt_value, p.pk, p.hidden '
    "FROM sqlite_schema AS s JOIN pragma_table_xinfo(s.name) AS p "
    "WHERE s.type = 'table' AND s.name NOT LIKE 'sqlite%' ORDER BY s.name, p.cid"
)
FKS = (
    'SELECT s.name, f.id, f."table", f."from", f."to", f.on_update, f.on_delete '
    "FROM sqlite_schema AS s JOIN pragma_foreign_key_list(s.name) AS f "
    "WHERE s.type = 'table' AND s.name NOT LIKE 'sqlite%'"
)
OBJECTS = "SELECT type, name, tbl_name, sql FROM sqlite_schema WHERE sql IS NOT NULL"


def read(conn: sqlite3.Connection) -> dict[str, dict]:
    objects: dict[str, dict] = {"table": {}, "index": {}, "view": {}, "trigger": {}}
    for otype, name, _tbl, sql in conn.execute(OBJECTS):
        if otype in objects and not name.startswith("sqlite_") and name != "_dbinit_history":
            objects[otype][name.lower()] = sql
    cols: dict[str, list] = defaultdict(list)
    for row in conn.execute(COLUMNS):
        cols[row[0].lower()].append(row[1:])
    fks: dict[str, list] = defaultdict(list)
    for row in conn.execute(FKS):
        fks[row[0].lower()].append(row[1:])
    objects["columns"] = cols
    objects["fks"] = fks
    return objects


def desired(folder: Path) -> tuple[sqlite3.Connection, dict[str, dict]]:
    mem = sqlite3.connect(":memory:", isolation_level=None)
    for path in sorted(folder.rglob("*.sql")):
        mem.executescript(path.read_text(encoding="utf-8"))
    return mem, read(mem)


def diff(want: dict[str, dict], have: dict[str, dict]) -> list[tuple[str, str]]:
    out = []
    for name in want["table"]:
        if name not in have["table"]:
            out.append(("missing_table", name))
        elif (
            want["columns"][name] != have["columns"][name] or want["fks"][name] != have["fks"][name]
        ):
            out.append(("table_changed", name))
    for kind in ("index", "view", "trigger"):
        for name, sql in want[kind].items():
            if name not in have[kind]:
                out.append((f"missing_{kind}", name))
            elif " ".join(sql.split()) != " ".join(have[kind][name].split()):
                out.append((f"{kind}_changed", name))
    return out


def main() -> int:
    command, folder, db = sys.argv[1], Path(sys.argv[2]), sys.argv[3]
    _, want = desired(folder)
    if command == "check":
        live = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
        changes = diff(want, read(live))
        print(len(changes))
        return 1 if changes else 0
    live = sqlite3.connect(db, isolation_level=None)
    live.execute("BEGIN IMMEDIATE")
    changes = diff(want, read(live))
    order = {"missing_table": 0, "missing_index": 1, "missing_view": 2, "missing_trigger": 3}
    for kind, name in sorted(changes, key=lambda c: order.get(c[0], 9)):
        if kind.startswith("missing_"):
            live.execute(want[kind.removeprefix("missing_")][name])
    live.execute("COMMIT")
    print(len(changes))
    return 0


if __name__ == "__main__":
    sys.exit(main())
