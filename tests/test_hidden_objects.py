"""Objects dbinit hides from the diff (its history table, FTS shadow tables,
`sqlite_%` tables) may still carry the user's own indexes, triggers and views:
those are reported like any other undeclared object, and dbinit's bookkeeping
never runs user code (issue 8, item 5)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from tests.conftest import digest, make_db, write_schema

ITEMS = "CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT NOT NULL);\n"
ROWS = [(1, "apple"), (2, "pear"), (3, "plum")]
WIPE = "CREATE TRIGGER wipe_items AFTER INSERT ON _dbinit_history BEGIN DELETE FROM items; END;"


def _rows(db: Path) -> list[tuple[int, str]]:
    conn = sqlite3.connect(db)
    try:
        return conn.execute("SELECT id, name FROM items ORDER BY id").fetchall()
    finally:
        conn.close()


def _objects(db: Path) -> set[tuple[str, str]]:
    """(type, name) of every object with SQL text, read by SQLite itself."""
    conn = sqlite3.connect(db)
    try:
        return set(conn.execute("SELECT type, name FROM sqlite_schema WHERE sql IS NOT NULL"))
    finally:
        conn.close()


def _seeded(cli, tmp_path: Path, extra_sql: str) -> tuple[Path, Path]:
    """A database made by `init` (so dbinit's history table exists) holding rows,
    then `extra_sql` run on it by hand; the schema folder then declares one
    more table, so the next `init` has something to apply (and to record)."""
    db = tmp_path / "app.db"
    schemas = write_schema(tmp_path / "schemas", {"001_items.sql": ITEMS})
    res = cli("init", "--format", "json", "-d", str(db), "-s", str(schemas))
    assert res.exit_code == 0, res.stdout
    conn = sqlite3.connect(db)
    conn.executemany("INSERT INTO items (id, name) VALUES (?, ?)", ROWS)
    conn.executescript(extra_sql)
    conn.commit()
    conn.close()
    write_schema(
        schemas,
        {"001_items.sql": ITEMS, "002_tags.sql": "CREATE TABLE tags (id INTEGER PRIMARY KEY);"},
    )
    return db, schemas


def test_trigger_on_history_never_runs_init_refuses_and_names_it(cli, tmp_path: Path) -> None:
    db, schemas = _seeded(cli, tmp_path, WIPE)
    before = digest(db)
    res = cli("init", "--format", "json", "-d", str(db), "-s", str(schemas))
    assert res.exit_code == 3, res.stdout
    err = res.json()["error"]
    assert err["error_code"] == "DB_007"
    text = err["message"] + " " + (err["details"] or "")
    assert "wipe_items" in text and "_dbinit_history" in text
    assert "repair --prune" in text
    # every row is still there, nothing was written (not even the new table)
    assert _rows(db) == ROWS
    assert digest(db) == before
    assert ("table", "tags") not in _objects(db)


def test_trigger_on_history_is_drift_that_validate_fails_on(cli, tmp_path: Path) -> None:
    db, schemas = _seeded(cli, tmp_path, WIPE)
    write_schema(schemas, {"001_items.sql": ITEMS})  # otherwise in sync
    before = digest(db)
    res = cli("check", "--format", "json", "-d", str(db), "-s", str(schemas))
    assert res.exit_code == 0, res.stdout  # extras are warnings for check
    (change,) = res.json()["changes"]
    assert (change["kind"], change["name"], change["table"]) == (
        "extra_trigger",
        "wipe_items",
        "_dbinit_history",
    )
    assert change["safety"] == "destructive"
    res = cli("validate", "--format", "json", "-d", str(db), "-s", str(schemas))
    assert res.exit_code == 1, res.stdout
    assert [c["name"] for c in res.json()["changes"]] == ["wipe_items"]
    # init has nothing to apply: it writes nothing, fires nothing, exits 0
    res = cli("init", "--format", "json", "-d", str(db), "-s", str(schemas))
    assert res.exit_code == 0, res.stdout
    assert digest(db) == before
    assert _rows(db) == ROWS


def test_repair_prune_drops_a_trigger_on_history_before_recording(cli, tmp_path: Path) -> None:
    db, schemas = _seeded(cli, tmp_path, WIPE)
    res = cli("repair", "--yes", "--format", "json", "-d", str(db), "-s", str(schemas))
    assert res.exit_code == 3, res.stdout  # dropping it needs --prune
    assert _rows(db) == ROWS
    res = cli(
        "repair", "--yes", "--prune", "--no-backup", "--format", "json",
        "-d", str(db), "-s", str(schemas),
    )  # fmt: skip
    assert res.exit_code == 0, res.stdout
    assert 'DROP TRIGGER "wipe_items"' in res.json()["applied"]
    assert _rows(db) == ROWS
    objects = _objects(db)
    assert ("trigger", "wipe_items") not in objects
    assert ("table", "tags") in objects
    conn = sqlite3.connect(db)
    (runs,) = conn.execute("SELECT count(*) FROM _dbinit_history").fetchone()
    conn.close()
    assert runs == 2  # the first init and this repair were both recorded
    res = cli("validate", "--format", "json", "-d", str(db), "-s", str(schemas))
    assert res.exit_code == 0, res.stdout


def test_view_named_like_history_with_instead_of_trigger_never_runs(cli, tmp_path: Path) -> None:
    """Before dbinit ever wrote, a view takes the history table's name and an
    INSTEAD OF trigger on it would run instead of dbinit's INSERT."""
    db = tmp_path / "app.db"
    make_db(
        db,
        ITEMS
        + "INSERT INTO items VALUES (1, 'apple'), (2, 'pear'), (3, 'plum');"
        + "CREATE VIEW _dbinit_history AS SELECT 1 AS id, '' AS applied_at, '' AS command,"
        " '' AS dbinit_version, '' AS schema_checksum, '' AS statements, 0 AS changes,"
        " '' AS outcome, 0 AS duration_ms;"
        + "CREATE TRIGGER wipe_via_view INSTEAD OF INSERT ON _dbinit_history "
        "BEGIN DELETE FROM items; END;",
    )
    schemas = write_schema(
        tmp_path / "schemas",
        {"001_items.sql": ITEMS, "002_tags.sql": "CREATE TABLE tags (id INTEGER PRIMARY KEY);"},
    )
    before = digest(db)
    res = cli("check", "--format", "json", "-d", str(db), "-s", str(schemas))
    found = {(c["kind"], c["name"]) for c in res.json()["changes"]}
    assert ("extra_view", "_dbinit_history") in found
    res = cli("init", "--format", "json", "-d", str(db), "-s", str(schemas))
    assert res.exit_code == 3, res.stdout
    err = res.json()["error"]
    assert err["error_code"] == "DB_007"
    # refused before the lock (the plan keeps the view its trigger is on), naming the view
    assert "_dbinit_history (extra_view)" in err["message"], err
    assert _rows(db) == ROWS
    assert digest(db) == before
    # the trigger goes with its view: one DROP, and the history table takes the name
    res = cli(
        "repair", "--yes", "--prune", "--no-backup", "--format", "json",
        "-d", str(db), "-s", str(schemas),
    )  # fmt: skip
    assert res.exit_code == 0, res.stdout
    assert 'DROP VIEW "_dbinit_history"' in res.json()["applied"]
    assert _rows(db) == ROWS
    assert ("table", "_dbinit_history") in _objects(db)
    assert ("trigger", "wipe_via_view") not in _objects(db)


def test_objects_on_fts_shadow_tables_are_reported_and_pruned(cli, tmp_path: Path) -> None:
    fts = "CREATE VIRTUAL TABLE docs USING fts5(body);\n"
    db = make_db(
        tmp_path / "app.db",
        fts
        + "INSERT INTO docs (body) VALUES ('hello world');"
        + "CREATE INDEX docs_data_block ON docs_data (block);"
        + "CREATE TRIGGER docs_config_ai AFTER INSERT ON docs_config BEGIN SELECT 1; END;",
    )
    schemas = write_schema(tmp_path / "schemas", {"001_docs.sql": fts})
    res = cli("check", "--format", "json", "-d", str(db), "-s", str(schemas))
    assert res.exit_code == 0, res.stdout
    found = {(c["kind"], c["name"], c["table"]) for c in res.json()["changes"]}
    assert found == {
        ("extra_index", "docs_data_block", "docs_data"),
        ("extra_trigger", "docs_config_ai", "docs_config"),
    }
    res = cli("validate", "--format", "json", "-d", str(db), "-s", str(schemas))
    assert res.exit_code == 1, res.stdout
    res = cli(
        "repair", "--yes", "--prune", "--no-backup", "--format", "json",
        "-d", str(db), "-s", str(schemas),
    )  # fmt: skip
    assert res.exit_code == 0, res.stdout
    names = {n for _, n in _objects(db)}
    assert not names & {"docs_data_block", "docs_config_ai"}
    conn = sqlite3.connect(db)
    assert conn.execute("SELECT body FROM docs WHERE docs MATCH 'hello'").fetchall() == [
        ("hello world",)
    ]
    conn.close()
    res = cli("validate", "--format", "json", "-d", str(db), "-s", str(schemas))
    assert res.exit_code == 0, res.stdout


def test_objects_on_a_dropped_virtual_tables_shadow_tables_go_with_it(cli, tmp_path: Path) -> None:
    db = make_db(
        tmp_path / "app.db",
        ITEMS
        + "CREATE VIRTUAL TABLE docs USING fts5(body);"
        + "CREATE INDEX docs_data_block ON docs_data (block);",
    )
    schemas = write_schema(tmp_path / "schemas", {"001_items.sql": ITEMS})
    res = cli("check", "--format", "json", "-d", str(db), "-s", str(schemas))
    assert [(c["kind"], c["name"]) for c in res.json()["changes"]] == [("extra_table", "docs")]
    res = cli(
        "repair", "--yes", "--prune", "--allow-data-loss", "--no-backup", "--format", "json",
        "-d", str(db), "-s", str(schemas),
    )  # fmt: skip
    assert res.exit_code == 0, res.stdout
    assert _objects(db) == {
        ("table", "items"),
        ("table", "_dbinit_history"),
        ("table", "_dbinit_state"),  # the desired model, remembered by the run that applied
    }


def test_dry_runs_refuse_like_the_real_run_while_a_trigger_is_on_history(
    cli, tmp_path: Path
) -> None:
    """`--dry-run` exits with the code the real run would have: a trigger on the
    history table makes `init` and `repair` (without --prune) refuse, so their
    dry runs say 3 too, naming the trigger; with --prune the dry run plans its drop."""
    db, schemas = _seeded(cli, tmp_path, WIPE)
    before = digest(db)
    for args in (("init",), ("repair",)):
        res = cli(*args, "--dry-run", "--format", "json", "-d", str(db), "-s", str(schemas))
        assert res.exit_code == 3, res.stdout
        err = res.json()["error"]
        assert err["error_code"] == "DB_007" and "wipe_items" in err["message"], err
    res = cli("repair", "--dry-run", "--prune", "-f", "json", "-d", str(db), "-s", str(schemas))
    assert res.exit_code == 0, res.stdout
    assert any("DROP TRIGGER" in sql for c in res.json()["changes"] for sql in c["sql"])
    assert digest(db) == before
    assert _rows(db) == ROWS
