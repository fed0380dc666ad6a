"""Reviewed changes on SQLite: in-place column renames, plan files, their approval.

Oracles are SQLite's own catalog (`sqlite_schema`, `PRAGMA table_xinfo`) and the
rows read back with the `sqlite3` module, never dbinit asked again.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from tests.conftest import make_db, write_schema


def catalog(path: Path) -> dict[str, str]:
    conn = sqlite3.connect(path)
    try:
        rows = conn.execute(
            "SELECT name, sql FROM sqlite_schema WHERE name NOT LIKE 'sqlite_%' "
            "AND name NOT LIKE '_dbinit%'"
        ).fetchall()
    finally:
        conn.close()
    return {name: sql for name, sql in rows}


def planned(doc: dict[str, Any]) -> list[str]:
    """Every statement the changes of a dry run would run, in order, once each."""
    out: list[str] = []
    for c in doc["changes"]:
        out += [s for s in c["sql"] if s not in out]
    return out


def rows(path: Path, sql: str) -> list[tuple[Any, ...]]:
    conn = sqlite3.connect(path)
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


# --- in-place RENAME COLUMN ----------------------------------------------------------

LIVE_RENAME = """
CREATE TABLE items (name TEXT NOT NULL, qty INTEGER DEFAULT 0);
CREATE INDEX items_name ON items (name) WHERE name IS NOT NULL;
CREATE TRIGGER items_touch AFTER UPDATE OF name ON items
BEGIN UPDATE items SET qty = qty + 1 WHERE rowid = new.rowid; END;
CREATE VIEW item_names AS SELECT name, qty FROM items;
INSERT INTO items VALUES ('a', 1), ('b', 2), ('c', 3);
DELETE FROM items WHERE name = 'b';
INSERT INTO items VALUES ('d', 4);
"""
DECLARED_RENAME = """
CREATE TABLE items (
    title TEXT NOT NULL, -- dbinit: renamed-from=name
    qty INTEGER DEFAULT 0
);
CREATE INDEX items_name ON items (title) WHERE title IS NOT NULL;
CREATE TRIGGER items_touch AFTER UPDATE OF title ON items
BEGIN UPDATE items SET qty = qty + 1 WHERE rowid = new.rowid; END;
CREATE VIEW item_names AS SELECT title, qty FROM items;
"""


def test_hinted_rename_alone_is_one_alter_in_place(tmp_path: Path, cli: Any) -> None:
    db = make_db(tmp_path / "app.db", LIVE_RENAME)
    write_schema(tmp_path / "schemas", {"items.sql": DECLARED_RENAME})
    before = rows(db, "SELECT rowid, name, qty FROM items ORDER BY rowid")
    dry = cli("repair", "--dry-run", "--format", "json")
    assert dry.exit_code == 0, dry.stdout
    assert planned(dry.json()) == ['ALTER TABLE "items" RENAME COLUMN "name" TO "title"']

    res = cli("repair", "--yes", "--no-backup", "--format", "json")
    assert res.exit_code == 0, res.stdout
    assert res.json()["applied"] == ['ALTER TABLE "items" RENAME COLUMN "name" TO "title"']
    # Rows and rowids kept (the 12-step copy would have made new pages; rowids here
    # have a gap that a renumbering would close).
    assert rows(db, "SELECT rowid, title, qty FROM items ORDER BY rowid") == before
    assert [r[0] for r in before] == [1, 3, 4]
    # SQLite's catalog: the index, trigger and view were kept and follow the column.
    cat = catalog(db)
    assert set(cat) == {"items", "items_name", "items_touch", "item_names"}
    assert '"title"' in cat["items_name"] and "name IS" not in cat["items_name"]
    assert '"title"' in cat["items_touch"]
    assert '"title"' in cat["item_names"]
    assert [r[1] for r in rows(db, "PRAGMA table_xinfo(items)")] == ["title", "qty"]
    assert cli("check").exit_code == 0
    # The trigger still works on the renamed column.
    conn = sqlite3.connect(db)
    conn.execute("UPDATE items SET title = 'z' WHERE rowid = 1")
    conn.commit()
    conn.close()
    assert rows(db, "SELECT qty FROM items WHERE rowid = 1") == [(2,)]


def test_rename_with_another_change_still_rebuilds(tmp_path: Path, cli: Any) -> None:
    make_db(tmp_path / "app.db", LIVE_RENAME)
    declared = DECLARED_RENAME.replace("qty INTEGER DEFAULT 0", "qty INTEGER DEFAULT 5")
    write_schema(tmp_path / "schemas", {"items.sql": declared})
    dry = cli("repair", "--dry-run", "--format", "json")
    assert dry.exit_code == 0, dry.stdout
    assert not any("RENAME COLUMN" in s for s in planned(dry.json()))
    assert any(s.startswith('CREATE TABLE "_dbinit_new_items"') for s in planned(dry.json()))


def test_rename_of_an_index_column_that_also_changes_recreates_only_it(
    tmp_path: Path, cli: Any
) -> None:
    """An index that differs for more than the rename is dropped and created after it."""
    db = make_db(tmp_path / "app.db", LIVE_RENAME)
    declared = DECLARED_RENAME.replace(
        "ON items (title) WHERE title IS NOT NULL", "ON items (title, qty)"
    )
    write_schema(tmp_path / "schemas", {"items.sql": declared})
    res = cli("repair", "--yes", "--no-backup", "--format", "json")
    assert res.exit_code == 0, res.stdout
    assert res.json()["applied"] == [
        'ALTER TABLE "items" RENAME COLUMN "name" TO "title"',
        'DROP INDEX "items_name"',
        "CREATE INDEX items_name ON items (title, qty)",
    ]
    assert "qty" in catalog(db)["items_name"]
    assert cli("check").exit_code == 0
