"""`repair`: 12-step rebuilds that keep every row, index, trigger and view."""

from __future__ import annotations

import hashlib
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import child_env, digest, make_db, write_schema

BASE_DATA = """
INSERT INTO t (id, a, b) VALUES (1, 'one', 10), (2, 'two', 20), (3, 'Three', 30);
"""


def base(
    table: str = "t", a: str = "a TEXT", b: str = "b INTEGER", extra: str = "", tail: str = ""
) -> str:
    cols = f"id INTEGER PRIMARY KEY, {a}, {b}{extra}"
    return f"CREATE TABLE {table} ({cols}){tail};\n" + side_objects(table, "a")


def side_objects(table: str, a: str) -> str:
    return (
        f"CREATE INDEX {table}_a ON {table} ({a});\n"
        f"CREATE TRIGGER {table}_ai AFTER INSERT ON {table} BEGIN\n"
        f"  UPDATE {table} SET b = coalesce(b, 0) WHERE id = new.id;\nEND;\n"
        f"CREATE VIEW {table}_v AS SELECT id, {a} FROM {table};\n"
    )


LIVE = base()
ROWS_QUERY = "SELECT id, a, b FROM t ORDER BY id"
ORIGINAL = [(1, "one", 10), (2, "two", 20), (3, "Three", 30)]

# id, desired schema, query that must return ORIGINAL afterwards, (table, a-column) for side objects
CASES = [
    ("type", base(b="b TEXT"), "SELECT id, a, CAST(b AS INTEGER) FROM t ORDER BY id", ("t", "a")),
    ("NOT NULL", base(a="a TEXT NOT NULL"), ROWS_QUERY, ("t", "a")),
    ("DEFAULT", base(a="a TEXT DEFAULT 'z'"), ROWS_QUERY, ("t", "a")),
    (
        "PRIMARY KEY",
        "CREATE TABLE t (id INTEGER NOT NULL, a TEXT, b INTEGER, PRIMARY KEY (id, a));\n"
        + side_objects("t", "a"),
        ROWS_QUERY,
        ("t", "a"),
    ),
    ("COLLATE", base(a="a TEXT COLLATE NOCASE"), ROWS_QUERY, ("t", "a")),
    ("CHECK", base(extra=", CHECK (b >= 0)"), ROWS_QUERY, ("t", "a")),
    (
        "FOREIGN KEY",
        "CREATE TABLE p (id INTEGER PRIMARY KEY);\n"
        + base(b="b INTEGER REFERENCES p(id) ON DELETE CASCADE"),
        ROWS_QUERY,
        ("t", "a"),
    ),
    (
        "parent table and a view over two tables",
        "CREATE TABLE p (id INTEGER PRIMARY KEY, label TEXT NOT NULL DEFAULT '');\n"
        "CREATE VIEW pv AS SELECT t.id, p.label FROM t JOIN p ON p.id = t.b;\n" + base(),
        ROWS_QUERY,
        ("t", "a"),
    ),
    ("STRICT", base(tail=" STRICT"), ROWS_QUERY, ("t", "a")),
    ("WITHOUT ROWID", base(tail=" WITHOUT ROWID"), ROWS_QUERY, ("t", "a")),
    ("generated column", base(extra=", c INTEGER AS (b * 2) STORED"), ROWS_QUERY, ("t", "a")),
    (
        "column ALTER cannot add",
        base(extra=", d TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP"),
        ROWS_QUERY,
        ("t", "a"),
    ),
    ("column in the middle", base(a="z INTEGER, a TEXT"), ROWS_QUERY, ("t", "a")),
    (
        "column rename hint",
        "CREATE TABLE t (\n  id INTEGER PRIMARY KEY,\n  label TEXT, -- dbinit: renamed-from=a\n  b INTEGER\n);\n"
        + side_objects("t", "label"),
        "SELECT id, label, b FROM t ORDER BY id",
        ("t", "label"),
    ),
    (
        "table rename hint",
        "-- dbinit: renamed-from=t\n" + base(table="items"),
        "SELECT id, a, b FROM items ORDER BY id",
        ("items", "a"),
    ),
]


def run_repair(cli, db: Path, folder: Path, *flags: str):
    return cli("repair", "--yes", "--format", "json", "-d", str(db), "-s", str(folder), *flags)


@pytest.mark.parametrize(
    ("desired", "query", "names"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_rebuild_keeps_rows_indexes_triggers_and_views(
    cli, tmp_path: Path, desired: str, query: str, names: tuple[str, str]
) -> None:
    parent = "CREATE TABLE p (id INTEGER PRIMARY KEY); INSERT INTO p VALUES (10), (20), (30);"
    if "VIEW pv" in desired:
        parent += "CREATE VIEW pv AS SELECT t.id FROM t JOIN p ON p.id = t.b;"
    db = make_db(tmp_path / "app.db", LIVE + BASE_DATA + parent)
    if "TABLE p" not in desired:
        desired = "CREATE TABLE p (id INTEGER PRIMARY KEY);\n" + desired
    folder = write_schema(tmp_path / "schemas", {"001.sql": desired})
    extra = ("--allow-data-loss", "--prune") if "renamed-from=t" in desired else ()
    res = run_repair(cli, db, folder, *extra)
    assert res.exit_code == 0, res.stdout
    doc = res.json()
    assert doc["status"] == "applied"
    assert doc["backup"] and Path(doc["backup"]).is_file()

    conn = sqlite3.connect(db)
    assert conn.execute(query).fetchall() == ORIGINAL
    table, acol = names
    objects = {r[0] for r in conn.execute("SELECT name FROM sqlite_schema")}
    assert {f"{table}_a", f"{table}_ai", f"{table}_v"} <= objects
    assert not any(o.startswith("_dbinit_new_") for o in objects)
    assert conn.execute(f"SELECT {acol} FROM {table}_v ORDER BY id").fetchall() == [
        ("one",),
        ("two",),
        ("Three",),
    ]
    # the trigger still fires
    conn.execute(f"INSERT INTO {table} (id, {acol}) VALUES (4, 'four')")
    assert conn.execute(f"SELECT CAST(b AS INTEGER) FROM {table} WHERE id = 4").fetchone() == (0,)
    assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    conn.rollback()
    conn.close()

    # converges: check reports nothing, a second repair plans nothing
    res = cli("check", "--format", "json", "-d", str(db), "-s", str(folder))
    assert res.exit_code == 0, res.stdout
    assert res.json()["changes"] == []
    res = run_repair(cli, db, folder)
    assert res.exit_code == 0, res.stdout
    assert res.json()["status"] == "in_sync"
    assert res.json()["applied"] == []


def test_parent_rebuild_keeps_cascade_and_set_null_children(cli, tmp_path: Path) -> None:
    live = """
    CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT);
    CREATE TABLE posts (id INTEGER PRIMARY KEY, user_id INTEGER REFERENCES users(id) ON DELETE CASCADE);
    CREATE TABLE likes (id INTEGER PRIMARY KEY, user_id INTEGER REFERENCES users(id) ON DELETE SET NULL);
    INSERT INTO users VALUES (1, 'a'), (2, 'b');
    INSERT INTO posts VALUES (1, 1), (2, 2), (3, 2);
    INSERT INTO likes VALUES (1, 1), (2, 2);
    """
    desired = live.split("INSERT")[0].replace("email TEXT", "email TEXT NOT NULL COLLATE NOCASE")
    db = make_db(tmp_path / "app.db", live)
    folder = write_schema(tmp_path / "schemas", {"001.sql": desired})
    res = run_repair(cli, db, folder)
    assert res.exit_code == 0, res.stdout
    conn = sqlite3.connect(db)
    assert conn.execute("SELECT * FROM posts ORDER BY id").fetchall() == [(1, 1), (2, 2), (3, 2)]
    assert conn.execute("SELECT * FROM likes ORDER BY id").fetchall() == [(1, 1), (2, 2)]
    assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
    conn.close()


def test_autoincrement_ids_are_never_reused_after_a_rebuild(cli, tmp_path: Path) -> None:
    live = """
    CREATE TABLE t (id INTEGER PRIMARY KEY AUTOINCREMENT, a TEXT);
    INSERT INTO t (a) VALUES ('1'), ('2'), ('3'), ('4'), ('5');
    DELETE FROM t WHERE id > 3;
    """
    db = make_db(tmp_path / "app.db", live)
    folder = write_schema(
        tmp_path / "schemas",
        {"001.sql": "CREATE TABLE t (id INTEGER PRIMARY KEY AUTOINCREMENT, a INTEGER);"},
    )
    res = run_repair(cli, db, folder)
    assert res.exit_code == 0, res.stdout
    conn = sqlite3.connect(db)
    conn.execute("INSERT INTO t (a) VALUES (6)")
    assert conn.execute("SELECT max(id) FROM t").fetchone() == (6,)
    assert conn.execute("SELECT count(*) FROM sqlite_sequence WHERE name = 't'").fetchone() == (1,)
    conn.close()


@pytest.mark.parametrize(
    ("live", "desired", "flags", "needle"),
    [
        (
            "CREATE TABLE t (a); CREATE TABLE old (x); INSERT INTO old VALUES (1);",
            "CREATE TABLE t (a);",
            ("--prune",),
            "--allow-data-loss",
        ),
        (
            "CREATE TABLE t (a); CREATE TABLE empty (x);",
            "CREATE TABLE t (a);",
            ("--prune",),
            "--allow-data-loss",
        ),
        ("CREATE TABLE t (a, legacy);", "CREATE TABLE t (a);", ("--prune",), "--allow-data-loss"),
        (
            "CREATE TABLE t (a TEXT, g INT AS (length(a)));",
            "CREATE TABLE t (a INTEGER);",
            ("--allow-data-loss",),
            "generated column g",
        ),
        (
            "CREATE TABLE t (a TEXT, b INT); CREATE INDEX ix ON t (a);",
            "CREATE TABLE t (\n  label TEXT, -- dbinit: renamed-from=a\n  b INT\n);",
            ("--allow-data-loss",),
            "--prune",
        ),
    ],
    ids=["extra table", "empty extra table", "extra column", "generated", "index on renamed"],
)
def test_destructive_changes_need_their_flag_and_change_nothing(
    cli, tmp_path: Path, live: str, desired: str, flags: tuple[str, ...], needle: str
) -> None:
    db = make_db(tmp_path / "app.db", live + "INSERT INTO t (a) VALUES (1);")
    folder = write_schema(tmp_path / "schemas", {"001.sql": desired})
    before = digest(db)
    res = run_repair(cli, db, folder, *flags)
    assert res.exit_code == 3, res.stdout
    doc = res.json()
    assert doc["status"] == "refused"
    assert doc["error"]["error_code"] == "DB_007"
    assert needle in doc["error"]["message"]
    assert "dbinit inspect" in doc["error"]["message"]
    assert digest(db) == before
    assert list(tmp_path.glob("*.bak")) == []


def test_undeclared_objects_are_kept_without_prune(cli, tmp_path: Path) -> None:
    live = """
    CREATE TABLE t (a TEXT, legacy INT NOT NULL DEFAULT 7 CHECK (legacy > 0), b INT);
    CREATE INDEX t_legacy ON t (legacy);
    CREATE TRIGGER t_count AFTER INSERT ON t BEGIN UPDATE old SET x = x + 1; END;
    CREATE TABLE old (x INT);
    CREATE VIEW v AS SELECT a, legacy FROM t;
    INSERT INTO old VALUES (0);
    INSERT INTO t VALUES ('1', 5, 10), ('2', 6, 20), ('3', 9, 30);
    DELETE FROM t WHERE a = '1';
    """
    db = make_db(tmp_path / "app.db", live)
    # nothing but extras: in sync, nothing written, even with --allow-data-loss
    folder = write_schema(tmp_path / "schemas", {"001.sql": "CREATE TABLE t (a TEXT, b INT);"})
    before = digest(db)
    res = run_repair(cli, db, folder, "--allow-data-loss")
    assert res.exit_code == 0, res.stdout
    doc = res.json()
    assert doc["status"] == "in_sync" and doc["applied"] == []
    assert {c["kind"] for c in doc["changes"]} == {
        "extra_column",
        "extra_index",
        "extra_trigger",
        "extra_table",
        "extra_view",
    }
    assert all("dbinit inspect" in c["detail"] for c in doc["changes"])
    assert digest(db) == before

    # t must be rebuilt (a changes type): its live-only column, index and trigger are carried over
    folder = write_schema(tmp_path / "schemas", {"001.sql": "CREATE TABLE t (a INTEGER, b INT);"})
    res = run_repair(cli, db, folder, "--allow-data-loss")
    assert res.exit_code == 0, res.stdout
    assert res.json()["status"] == "applied"
    conn = sqlite3.connect(db)
    assert conn.execute("SELECT rowid, a, legacy, b FROM t ORDER BY rowid").fetchall() == [
        (2, 2, 6, 20),
        (3, 3, 9, 30),
    ]
    assert conn.execute("SELECT * FROM v ORDER BY a").fetchall() == [(2, 6), (3, 9)]
    names = {r[0] for r in conn.execute("SELECT name FROM sqlite_schema")}
    assert {"t_legacy", "t_count", "old", "v"} <= names
    conn.execute("INSERT INTO t (a, b) VALUES (4, 40)")  # legacy's DEFAULT, trigger fires
    assert conn.execute("SELECT legacy FROM t WHERE a = 4").fetchone() == (7,)
    assert conn.execute("SELECT x FROM old").fetchone() == (3 + 1,)  # 3 setup rows, 1 here
    with pytest.raises(sqlite3.IntegrityError):  # its CHECK came along too
        conn.execute("INSERT INTO t (a, legacy) VALUES (5, -1)")
    conn.rollback()
    conn.close()
    res = cli("check", "--format", "json", "-d", str(db), "-s", str(folder))
    assert res.exit_code == 0, res.stdout
    assert all(c["safety"] == "destructive" for c in res.json()["changes"])
    res = run_repair(cli, db, folder)
    assert res.exit_code == 0 and res.json()["applied"] == [], res.stdout

    # --prune with --allow-data-loss removes them all
    res = run_repair(cli, db, folder, "--prune", "--allow-data-loss")
    assert res.exit_code == 0, res.stdout
    conn = sqlite3.connect(db)
    assert conn.execute("SELECT a, b FROM t ORDER BY a").fetchall() == [(2, 20), (3, 30)]
    assert {r[0] for r in conn.execute("SELECT name FROM sqlite_schema")} == {
        "t",
        "_dbinit_history",
        "_dbinit_state",
    }
    conn.close()


def test_destructive_changes_apply_with_their_flags(cli, tmp_path: Path) -> None:
    live = """
    CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT, legacy INT);
    CREATE TABLE old (x);
    CREATE INDEX t_legacy ON t (legacy);
    CREATE VIEW v AS SELECT * FROM t;
    INSERT INTO t VALUES (1, 'a', 9);
    """
    db = make_db(tmp_path / "app.db", live)
    folder = write_schema(
        tmp_path / "schemas", {"001.sql": "CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT);"}
    )
    res = run_repair(cli, db, folder, "--allow-data-loss", "--prune")
    assert res.exit_code == 0, res.stdout
    conn = sqlite3.connect(db)
    assert conn.execute("SELECT * FROM t").fetchall() == [(1, "a")]
    names = {r[0] for r in conn.execute("SELECT name FROM sqlite_schema")}
    assert names == {"t", "_dbinit_history", "_dbinit_state"}
    conn.close()


def test_a_rebuild_that_violates_a_constraint_rolls_back_and_explains(cli, tmp_path: Path) -> None:
    live = "CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT); INSERT INTO t VALUES (1, NULL), (2, 'x'), (3, NULL);"
    db = make_db(tmp_path / "app.db", live)
    folder = write_schema(
        tmp_path / "schemas",
        {"001.sql": "CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT NOT NULL);"},
    )
    before = digest(db)
    res = run_repair(cli, db, folder)
    assert res.exit_code == 3, res.stdout
    err = res.json()["error"]
    assert err["error_code"] == "DB_005"
    assert "t.a" in err["message"] and "2 row(s)" in err["message"]
    assert 'WHERE "a" IS NULL' in err["details"]
    assert digest(db) == before
    assert res.json()["backup"] is None
    assert list(tmp_path.glob("*.bak")) == []


@pytest.mark.parametrize(
    ("desired", "needle", "count"),
    [
        ("CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT UNIQUE);", "UNIQUE (a)", "2 row(s)"),
        ("CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT CHECK (a <> 'x'));", "CHECK", "2 row(s)"),
        (
            "CREATE TABLE p (id TEXT PRIMARY KEY); CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT REFERENCES p(id));",
            "Foreign key check failed",
            "3 row(s)",
        ),
    ],
)
def test_unique_check_and_foreign_key_violations(
    cli, tmp_path: Path, desired: str, needle: str, count: str
) -> None:
    db = make_db(
        tmp_path / "app.db",
        "CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT); INSERT INTO t VALUES (1, 'x'), (2, 'x'), (3, 'y');",
    )
    if "REFERENCES" in desired:
        make_db(db, "CREATE TABLE p (id TEXT PRIMARY KEY);")
    folder = write_schema(tmp_path / "schemas", {"001.sql": desired})
    before = digest(db)
    res = run_repair(cli, db, folder)
    assert res.exit_code == 3, res.stdout
    err = res.json()["error"]
    assert err["error_code"] == "DB_005"
    assert needle in err["message"] and count in err["message"], err
    assert digest(db) == before


def test_without_a_terminal_repair_needs_yes(cli, tmp_path: Path) -> None:
    db = make_db(tmp_path / "app.db", "CREATE TABLE t (a TEXT);")
    folder = write_schema(tmp_path / "schemas", {"001.sql": "CREATE TABLE t (a INTEGER);"})
    before = digest(db)
    res = cli("repair", "--format", "json", "-d", str(db), "-s", str(folder))
    assert res.exit_code == 3, res.stdout
    assert "--yes" in res.json()["error"]["message"]
    assert digest(db) == before
    # a dry run needs no --yes and changes nothing
    res = cli("repair", "--dry-run", "--format", "json", "-d", str(db), "-s", str(folder))
    assert res.exit_code == 0, res.stdout
    doc = res.json()
    assert doc["status"] == "planned"
    assert doc["changes"][0]["sql"][0].startswith('CREATE TABLE "_dbinit_new_t"')
    assert digest(db) == before


def test_dry_run_prints_the_plan_that_runs(cli, tmp_path: Path) -> None:
    db = make_db(tmp_path / "app.db", LIVE + BASE_DATA)
    folder = write_schema(tmp_path / "schemas", {"001.sql": base(b="b TEXT")})
    planned = cli(
        "repair", "--dry-run", "--format", "json", "-d", str(db), "-s", str(folder)
    ).json()
    statements = [s for c in planned["changes"] for s in c["sql"]]
    applied = run_repair(cli, db, folder).json()["applied"]
    assert sorted(applied) == sorted(set(statements))
    assert 'DROP VIEW "t_v"' in applied and applied.index('DROP VIEW "t_v"') == 0


def test_backup_holds_the_pre_repair_schema_and_rows(cli, tmp_path: Path) -> None:
    db = make_db(tmp_path / "app.db", LIVE + BASE_DATA)
    folder = write_schema(tmp_path / "schemas", {"001.sql": base(b="b TEXT")})
    res = run_repair(cli, db, folder, "--backup-dir", str(tmp_path / "backups"))
    assert res.exit_code == 0, res.stdout
    backup = Path(res.json()["backup"])
    assert backup.parent == tmp_path / "backups"
    conn = sqlite3.connect(backup)
    assert conn.execute(ROWS_QUERY).fetchall() == ORIGINAL
    sql = conn.execute("SELECT sql FROM sqlite_schema WHERE name = 't'").fetchone()[0]
    assert "b INTEGER" in sql
    conn.close()
    # --no-backup makes none
    folder = write_schema(tmp_path / "schemas", {"001.sql": base(b="b BLOB")})
    res = run_repair(cli, db, folder, "--no-backup")
    assert res.exit_code == 0, res.stdout
    assert res.json()["backup"] is None


def test_history_lists_init_and_repair_runs(cli, tmp_path: Path) -> None:
    folder = write_schema(
        tmp_path / "schemas", {"001.sql": "CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT);"}
    )
    db = tmp_path / "app.db"
    assert cli("init", "-d", str(db), "-s", str(folder)).exit_code == 0
    write_schema(folder, {"001.sql": "CREATE TABLE t (id INTEGER PRIMARY KEY, a INTEGER);"})
    assert run_repair(cli, db, folder).exit_code == 0
    res = cli("history", "--format", "json", "-d", str(db))
    assert res.exit_code == 0, res.stdout
    rows = res.json()["history"]
    assert [r["command"] for r in rows] == ["repair", "init"]
    assert rows[1]["statements"][0].startswith("CREATE TABLE t")
    assert all(r["outcome"] == "applied" and len(r["schema_checksum"]) == 64 for r in rows)
    res = cli("history", "-d", str(db))
    assert res.exit_code == 0 and "repair" in res.stdout
    # a database without history (or no database at all) lists nothing
    res = cli("history", "--format", "json", "-d", str(tmp_path / "none.db"))
    assert res.exit_code == 0 and res.json()["history"] == []
    assert not (tmp_path / "none.db").exists()


def test_inspect_round_trip(cli, tmp_path: Path) -> None:
    live = """
    CREATE TABLE "order" ("a""b" INTEGER PRIMARY KEY AUTOINCREMENT, [select] TEXT COLLATE NOCASE, é REAL DEFAULT (1.5));
    CREATE TABLE items (id INTEGER PRIMARY KEY, order_id INTEGER REFERENCES "order"("a""b") ON DELETE CASCADE,
                        qty INTEGER NOT NULL CHECK (qty > 0), total REAL AS (qty * 2.5) VIRTUAL) STRICT;
    CREATE UNIQUE INDEX items_order ON items (order_id, qty) WHERE qty > 1;
    CREATE TRIGGER items_ai AFTER INSERT ON items BEGIN SELECT 1; END; -- trailing
    CREATE VIEW big AS SELECT * FROM items WHERE qty > 10 -- comment at the end
    ;
    CREATE VIEW bigger AS SELECT * FROM big;
    CREATE VIRTUAL TABLE docs USING fts5(title, body);
    CREATE TABLE kv (k TEXT PRIMARY KEY, v BLOB) WITHOUT ROWID;
    """
    db = make_db(tmp_path / "app.db", live)
    out = tmp_path / "exported"
    res = cli("inspect", "--output-dir", str(out), "-d", str(db))
    assert res.exit_code == 0, res.stdout
    files = sorted(p.name for p in out.glob("*.sql"))
    assert files == [
        "001_docs.sql",
        "002_kv.sql",
        "003_order.sql",  # before the table that refers to it
        "004_items.sql",
        "005_views.sql",
    ]
    res = cli("check", "--format", "json", "-d", str(db), "-s", str(out))
    assert res.exit_code == 0, res.stdout
    assert res.json()["changes"] == []
    # writing into a folder that already holds schema files is refused
    res = cli("inspect", "--output-dir", str(out), "-d", str(db), "--format", "json")
    assert res.exit_code == 3 and res.json()["error"]["error_code"] == "DB_007"
    # the text form is the same SQL
    res = cli("inspect", "-d", str(db))
    assert res.exit_code == 0 and 'CREATE TABLE "order"' in res.stdout
    # and a fresh database initialised from it is the same schema
    fresh = tmp_path / "fresh.db"
    assert cli("init", "-d", str(fresh), "-s", str(out)).exit_code == 0
    res = cli("check", "--format", "json", "-d", str(fresh), "-s", str(out))
    assert res.exit_code == 0 and res.json()["changes"] == []


def test_refused_dry_run_still_shows_the_plan_the_flags_would_allow(cli, tmp_path: Path) -> None:
    db = make_db(tmp_path / "app.db", "CREATE TABLE t (a TEXT); CREATE TABLE old (x);")
    folder = write_schema(tmp_path / "schemas", {"001.sql": "CREATE TABLE t (a INTEGER);"})
    res = cli("repair", "--dry-run", "--prune", "-d", str(db), "-s", str(folder))
    assert res.exit_code == 3, res.stdout
    assert 'DROP TABLE "old";' in res.stdout
    assert "--allow-data-loss" in res.stdout


def test_history_counts_each_change_once(cli, tmp_path: Path) -> None:
    db = make_db(tmp_path / "app.db", LIVE + BASE_DATA)
    folder = write_schema(tmp_path / "schemas", {"001.sql": base(b="b TEXT")})
    res = run_repair(cli, db, folder)
    assert res.exit_code == 0, res.stdout
    assert len(res.json()["changes"]) == 1
    rows = cli("history", "--format", "json", "-d", str(db)).json()["history"]
    assert rows[0]["changes"] == 1


def test_quiet_inspect_and_history_still_print_their_listing(cli, tmp_path: Path) -> None:
    db = make_db(tmp_path / "app.db", "CREATE TABLE t (a TEXT);")
    res = cli("inspect", "-q", "-d", str(db))
    assert res.exit_code == 0 and "CREATE TABLE t (a TEXT);" in res.stdout
    res = cli("history", "-q", "-d", str(db))
    assert res.exit_code == 0 and res.stdout == ""


def test_fts5_virtual_table_rebuild_keeps_its_rows(cli, tmp_path: Path) -> None:
    db = make_db(
        tmp_path / "app.db",
        "CREATE VIRTUAL TABLE docs USING fts5(title, body);"
        "INSERT INTO docs VALUES ('a', 'hello world'), ('b', 'second doc');",
    )
    folder = write_schema(
        tmp_path / "schemas",
        {"001.sql": "CREATE VIRTUAL TABLE docs USING fts5(title, body, tokenize='porter');"},
    )
    res = run_repair(cli, db, folder)
    assert res.exit_code == 0, res.stdout
    conn = sqlite3.connect(db)
    # porter stemming is now in force: "worlds" finds "world"
    assert conn.execute("SELECT title FROM docs WHERE docs MATCH 'worlds'").fetchall() == [("a",)]
    assert conn.execute("SELECT count(*) FROM docs").fetchone() == (2,)
    conn.close()
    assert cli("check", "-d", str(db), "-s", str(folder)).exit_code == 0


def test_a_partial_backup_left_by_a_killed_run_is_cleared(cli, tmp_path: Path) -> None:
    db = make_db(tmp_path / "app.db", LIVE + BASE_DATA)
    # The name a run of this very database gives its copy (TAG: its real path's hash).
    tag = hashlib.sha256(os.fsencode(db.resolve())).hexdigest()[:8]
    stale = tmp_path / f"app.db.20200101T000000Z.{tag}-4242-abcdef.bak.partial"
    stale.write_bytes(b"half a copy")
    stale.with_name(stale.name + "-journal").write_bytes(b"x")
    keep = tmp_path / "app.db.20200101T000000Z.bak"
    keep.write_bytes(b"an older, complete backup")
    folder = write_schema(tmp_path / "schemas", {"001.sql": base(b="b TEXT")})
    res = run_repair(cli, db, folder)
    assert res.exit_code == 0, res.stdout
    assert not stale.exists()
    assert not list(tmp_path.glob("*.partial*"))
    assert keep.read_bytes() == b"an older, complete backup"
    assert Path(res.json()["backup"]).is_file()


HISTORY_COLUMNS = (
    "id, applied_at, command, dbinit_version, schema_checksum, statements, changes, outcome, "
    "duration_ms"
)
UNTYPED_HISTORY = f"CREATE TABLE _dbinit_history ({HISTORY_COLUMNS});\n"
GOOD_ROW = "(1, '2024-01-01T00:00:00Z', 'init', '0.1.0', 'c', '[\"CREATE TABLE t (a)\"]', 1, 'applied', 1.5)"
TAMPERED_HISTORY = [
    # (id, SQL that makes the database, words the message must hold)
    pytest.param(
        "CREATE TABLE _dbinit_history (id INTEGER PRIMARY KEY, applied_at TEXT);"
        "INSERT INTO _dbinit_history VALUES (1, 'x');",
        ["command"],
        id="missing-columns",
    ),
    pytest.param(
        UNTYPED_HISTORY + "INSERT INTO _dbinit_history (id) VALUES (1);",
        ["NULL", "applied_at"],
        id="nulls-in-not-null-columns",
    ),
    pytest.param(
        UNTYPED_HISTORY + "INSERT INTO _dbinit_history VALUES "
        "(1, 5, x'00', 3.5, 7, x'01ff', 'many', 9, 'slow');",
        ["applied_at"],
        id="wrong-types",
    ),
    pytest.param(
        UNTYPED_HISTORY + "INSERT INTO _dbinit_history VALUES " + GOOD_ROW.replace("1.5", "'slow'"),
        ["duration_ms"],
        id="text-duration",
    ),
    pytest.param(
        UNTYPED_HISTORY
        + "INSERT INTO _dbinit_history VALUES "
        + GOOD_ROW.replace("'[\"CREATE TABLE t (a)\"]'", "'{\"a\": 1}'"),
        ["statements"],
        id="statements-not-a-json-list",
    ),
    pytest.param(
        "CREATE TABLE t (a); CREATE VIEW _dbinit_history AS SELECT 1 AS id;",
        ["view"],
        id="a-view",
    ),
    pytest.param(
        "CREATE TABLE t (a); CREATE VIEW _DbInit_History AS SELECT 1 AS id;",
        ["view"],
        id="a-view-in-other-case",
    ),
]


@pytest.mark.parametrize(("sql", "words"), TAMPERED_HISTORY)
def test_history_of_a_tampered_history_table_is_a_data_error(
    cli, tmp_path: Path, sql: str, words: list[str]
) -> None:
    """A `_dbinit_history` that dbinit did not write as it is: 65 / DB_005 naming the
    table and what is wrong with it, in JSON and text alike; nothing written."""
    db = make_db(tmp_path / "app.db", sql)
    before = digest(db)
    res = cli("history", "--format", "json", "-d", str(db))
    assert res.exit_code == 65, (res.stdout, res.stderr)
    assert "Traceback" not in res.stdout + res.stderr
    err = res.json()["error"]
    assert (err["error"], err["error_code"]) == ("data_error", "DB_005"), err
    assert "_dbinit_history" in err["message"].lower(), err
    for word in words:
        assert word in err["message"], err
    res = cli("history", "-d", str(db))
    assert res.exit_code == 65, (res.stdout, res.stderr)
    assert "DB_005" in res.stdout and "Traceback" not in res.stdout + res.stderr
    assert digest(db) == before


def test_history_reads_untyped_columns_holding_the_right_values(cli, tmp_path: Path) -> None:
    """Only the values matter: a table declared without types but holding what dbinit
    writes is read as usual (the checks above are not about declarations)."""
    db = make_db(
        tmp_path / "app.db", UNTYPED_HISTORY + "INSERT INTO _dbinit_history VALUES " + GOOD_ROW
    )
    res = cli("history", "--format", "json", "-d", str(db))
    assert res.exit_code == 0, res.stdout
    assert res.json()["history"][0]["statements"] == ["CREATE TABLE t (a)"]


@pytest.mark.parametrize("limit", [str(2**63), str(2**64 + 5), "1" + "0" * 40])
def test_history_limit_beyond_sqlite_integers_is_a_usage_error(
    cli, tmp_path: Path, limit: str
) -> None:
    db = make_db(tmp_path / "app.db", "CREATE TABLE t (a TEXT);")
    res = cli("history", "--limit", limit, "-d", str(db))
    assert res.exit_code == 2, (res.stdout, res.stderr)
    assert "--limit" in res.stdout + res.stderr
    assert "Traceback" not in res.stdout + res.stderr
    res = cli("history", "--format", "json", "--limit", str(2**63 - 1), "-d", str(db))
    assert res.exit_code == 0, (res.stdout, res.stderr)
    assert res.json()["history"] == []


def _finder_ids(db: Path, details: str) -> set[int]:
    """Run the query the error suggests, with sqlite3 itself: the ids of the rows it finds."""
    assert details.startswith("find them with: "), details
    conn = sqlite3.connect(db)
    try:
        cur = conn.execute(details.removeprefix("find them with: "))
        names = [d[0] for d in cur.description]
        return {dict(zip(names, row, strict=True))["id"] for row in cur}
    finally:
        conn.close()


CHECK_LIVE = """
CREATE TABLE t (id INTEGER PRIMARY KEY, n INTEGER, qty INTEGER);
INSERT INTO t VALUES (1, 5, 1), (2, -1, 2), (3, 2, -3), (4, NULL, 0), (5, 3, 7);
"""
CHECK_CASES = [
    # (id, desired schema, constraint text the message must quote, ids of the rows breaking it)
    pytest.param(
        'CREATE TABLE t (id INTEGER PRIMARY KEY, n INTEGER CHECK ("n" >= 0 AND "n" <= 3),'
        " qty INTEGER);",
        'CHECK ("n" >= 0 AND "n" <= 3)',
        {1, 2},
        id="multi-term",
    ),
    pytest.param(
        "CREATE TABLE t (id INTEGER PRIMARY KEY, n INTEGER, qty INTEGER,"
        " CONSTRAINT positive CHECK (qty > 0));",
        "CONSTRAINT positive CHECK (qty > 0)",
        {3, 4},
        id="named",
    ),
    pytest.param(
        "CREATE TABLE t (id INTEGER PRIMARY KEY, n INTEGER,\n"
        "  amount INTEGER CHECK (amount > 0) -- dbinit: renamed-from=qty\n);",
        "CHECK (amount > 0)",
        {3, 4},
        id="renamed-column",
    ),
]


@pytest.mark.parametrize(("desired", "constraint", "ids"), CHECK_CASES)
def test_check_violation_quotes_the_declared_constraint_and_counts_its_rows(
    cli, tmp_path: Path, desired: str, constraint: str, ids: set[int]
) -> None:
    db = make_db(tmp_path / "app.db", CHECK_LIVE)
    folder = write_schema(tmp_path / "schemas", {"001.sql": desired + "\n"})
    before = digest(db)
    res = cli(
        "repair", "--yes", "--no-backup", "--format", "json", "-d", str(db), "-s", str(folder)
    )
    assert res.exit_code == 3, (res.stdout, res.stderr)
    err = res.json()["error"]
    assert err["error_code"] == "DB_005", err
    assert constraint in err["message"], err
    assert f"({len(ids)} row(s))" in err["message"], err
    assert _finder_ids(db, err["details"]) == ids
    assert digest(db) == before


# --- row identity ------------------------------------------------------------

ROWID_CASES = [
    # (id, live table, desired table)
    ("no primary key", "CREATE TABLE t (a TEXT, b INTEGER)", "CREATE TABLE t (a TEXT, b TEXT)"),
    (
        "text primary key",
        "CREATE TABLE t (a TEXT PRIMARY KEY, b INTEGER)",
        "CREATE TABLE t (a TEXT PRIMARY KEY, b INTEGER NOT NULL)",
    ),
    (
        "INTEGER PRIMARY KEY DESC is no alias",
        "CREATE TABLE t (a INTEGER PRIMARY KEY DESC, b INTEGER)",
        "CREATE TABLE t (a INTEGER PRIMARY KEY DESC, b TEXT)",
    ),
    (
        "alias becomes a composite key",
        "CREATE TABLE t (a TEXT, b INTEGER PRIMARY KEY)",
        "CREATE TABLE t (a TEXT, b INTEGER NOT NULL, PRIMARY KEY (b, a))",
    ),
    (
        "a column named rowid",
        'CREATE TABLE t (a TEXT, "rowid" TEXT, b INTEGER)',
        'CREATE TABLE t (a TEXT, "rowid" TEXT, b TEXT) STRICT',
    ),
    (
        "renamed table",
        "CREATE TABLE t (a TEXT, b INTEGER)",
        "-- dbinit: renamed-from=t\nCREATE TABLE items (a TEXT, b INTEGER)",
    ),
]


@pytest.mark.parametrize(
    ("live", "desired"), [c[1:] for c in ROWID_CASES], ids=[c[0] for c in ROWID_CASES]
)
def test_rebuild_keeps_the_rowid_of_every_row(cli, tmp_path: Path, live: str, desired: str) -> None:
    db = make_db(tmp_path / "app.db", live + ";")
    conn = sqlite3.connect(db)
    for i in range(1, 13):
        conn.execute("INSERT INTO t (a, b) VALUES (?, ?)", (f"v{i}", i * 10))
    conn.execute("DELETE FROM t WHERE b % 30 = 0 OR b = 10")  # gaps, first rowid gone
    if "PRIMARY" not in live:
        conn.execute("UPDATE t SET rowid = rowid + 1000 WHERE b = 20")
    conn.commit()
    before = conn.execute(
        "SELECT _rowid_, a, CAST(b AS INTEGER) FROM t ORDER BY _rowid_"
    ).fetchall()
    conn.close()
    assert [r[0] for r in before] != list(range(1, len(before) + 1))  # renumbering would show
    folder = write_schema(tmp_path / "schemas", {"001.sql": desired + ";"})
    res = run_repair(cli, db, folder)
    assert res.exit_code == 0, res.stdout
    assert res.json()["status"] == "applied"
    table = "items" if "items" in desired else "t"
    conn = sqlite3.connect(db)
    after = conn.execute(
        f"SELECT _rowid_, a, CAST(b AS INTEGER) FROM {table} ORDER BY _rowid_"
    ).fetchall()
    conn.close()
    assert after == before
    assert cli("check", "-d", str(db), "-s", str(folder)).exit_code == 0


NOTES = "CREATE TABLE notes ({key}title TEXT, body TEXT);\n"
NOTES_FTS = (
    "CREATE VIRTUAL TABLE notes_fts USING fts5(title, body, content='notes'{rowid}{tokenize});\n"
    "CREATE TRIGGER notes_ai AFTER INSERT ON notes BEGIN\n"
    "  INSERT INTO notes_fts (rowid, title, body) VALUES (new.{id}, new.title, new.body);\nEND;\n"
    "CREATE TRIGGER notes_ad AFTER DELETE ON notes BEGIN\n"
    "  INSERT INTO notes_fts (notes_fts, rowid, title, body)\n"
    "  VALUES ('delete', old.{id}, old.title, old.body);\nEND;\n"
)


def notes_schema(*, alias: bool, porter: bool = False, body: str = "TEXT") -> str:
    key = "id INTEGER PRIMARY KEY, " if alias else ""
    return NOTES.format(key=key).replace("body TEXT", f"body {body}") + NOTES_FTS.format(
        rowid=", content_rowid='id'" if alias else "",
        tokenize=", tokenize='porter'" if porter else "",
        id="id" if alias else "rowid",
    )


@pytest.mark.parametrize("alias", [True, False], ids=["content_rowid=id", "content_rowid=rowid"])
@pytest.mark.parametrize("side", ["fts tokenizer", "content column type", "both"])
def test_external_content_fts_matches_the_same_rows_after_a_rebuild(
    cli, tmp_path: Path, alias: bool, side: str
) -> None:
    db = make_db(tmp_path / "app.db", notes_schema(alias=alias))
    conn = sqlite3.connect(db)
    words = ["hello world", "second doc", "hello again", "worlds apart", "nothing", "hello"]
    for i, text in enumerate(words * 3):
        conn.execute("INSERT INTO notes (title, body) VALUES (?, ?)", (f"n{i}", text))
    conn.execute("DELETE FROM notes WHERE title IN ('n0', 'n4', 'n7', 'n11')")
    conn.commit()
    ids = "SELECT rowid FROM notes_fts WHERE notes_fts MATCH ? ORDER BY rowid"
    titles = (
        "SELECT n.title FROM notes_fts JOIN notes AS n ON n._rowid_ = notes_fts.rowid "
        "WHERE notes_fts MATCH ? ORDER BY n.title"
    )
    before = {q: conn.execute(ids, (q,)).fetchall() for q in ("hello", "world", "doc")}
    before_titles = conn.execute(titles, ("hello",)).fetchall()
    conn.close()
    assert before["hello"]
    desired = notes_schema(
        alias=alias,
        porter=side != "content column type",
        body="TEXT" if side == "fts tokenizer" else "TEXT NOT NULL",
    )
    folder = write_schema(tmp_path / "schemas", {"001.sql": desired})
    res = run_repair(cli, db, folder)
    assert res.exit_code == 0, res.stdout

    conn = sqlite3.connect(db)
    # FTS5's own oracle: the index agrees with the content table, row for row
    conn.execute("INSERT INTO notes_fts (notes_fts) VALUES ('integrity-check')")
    for q in ("hello", "doc"):
        assert conn.execute(ids, (q,)).fetchall() == before[q], q
    assert conn.execute(titles, ("hello",)).fetchall() == before_titles
    if side != "content column type":  # porter: "worlds" now finds "world" too
        assert set(conn.execute(ids, ("world",)).fetchall()) > set(before["world"])
    # the triggers keep working on the rebuilt tables
    conn.execute("INSERT INTO notes (title, body) VALUES ('new', 'fresh hello')")
    conn.execute("DELETE FROM notes WHERE title = 'n2'")
    conn.execute("INSERT INTO notes_fts (notes_fts) VALUES ('integrity-check')")
    conn.rollback()
    conn.close()
    assert cli("check", "-d", str(db), "-s", str(folder)).exit_code == 0


@pytest.mark.parametrize(
    ("live", "desired", "why"),
    [
        (
            "CREATE VIRTUAL TABLE docs USING fts5(body, content='');",
            "CREATE VIRTUAL TABLE docs USING fts5(body, content='', tokenize='porter');",
            "contentless",
        ),
        (
            'CREATE VIRTUAL TABLE docs USING fts4(body, content="");',
            'CREATE VIRTUAL TABLE docs USING fts4(body, content="", tokenize=porter);',
            "contentless",
        ),
        (
            "CREATE VIRTUAL TABLE docs USING fts5(body);",
            "CREATE VIRTUAL TABLE docs USING fts5(body, content='');",
            "contentless",
        ),
    ],
    ids=["fts5 contentless", "fts4 contentless", "becomes contentless"],
)
def test_rebuilding_a_virtual_table_that_cannot_be_copied_needs_allow_data_loss(
    cli, tmp_path: Path, live: str, desired: str, why: str
) -> None:
    db = make_db(tmp_path / "app.db", live + "INSERT INTO docs (rowid, body) VALUES (7, 'hello');")
    folder = write_schema(tmp_path / "schemas", {"001.sql": desired})
    before = digest(db)
    res = run_repair(cli, db, folder)
    assert res.exit_code == 3, res.stdout
    doc = res.json()
    assert doc["error"]["error_code"] == "DB_007"
    assert "--allow-data-loss" in doc["error"]["message"]
    assert "docs" in doc["error"]["message"]
    assert digest(db) == before
    assert list(tmp_path.glob("*.bak")) == []
    # the plan says why
    res = cli("repair", "--dry-run", "--format", "json", "-d", str(db), "-s", str(folder))
    assert res.exit_code == 3, res.stdout
    (change,) = res.json()["changes"]
    assert why in change["detail"] and "--allow-data-loss" in change["detail"], change
    assert digest(db) == before
    # with the flag it is rebuilt as declared
    res = run_repair(cli, db, folder, "--allow-data-loss")
    assert res.exit_code == 0, res.stdout
    assert cli("check", "-d", str(db), "-s", str(folder)).exit_code == 0


def test_an_rtree_rebuild_keeps_its_rows(cli, tmp_path: Path) -> None:
    db = make_db(
        tmp_path / "app.db",
        "CREATE VIRTUAL TABLE boxes USING rtree(id, x0, x1);"
        "INSERT INTO boxes VALUES (5, 1.5, 2.5), (9, -3.0, 4.0);",
    )
    folder = write_schema(
        tmp_path / "schemas",
        {"001.sql": "CREATE VIRTUAL TABLE boxes USING rtree(id, x0, x1, +label);"},
    )
    res = run_repair(cli, db, folder)
    assert res.exit_code == 0, res.stdout
    conn = sqlite3.connect(db)
    assert conn.execute("SELECT id, x0, x1 FROM boxes ORDER BY id").fetchall() == [
        (5, 1.5, 2.5),
        (9, -3.0, 4.0),
    ]
    conn.close()


# --- memory ------------------------------------------------------------------

PEAK_RSS = """
import resource, subprocess, sys
done = subprocess.run(sys.argv[1:], capture_output=True, timeout=600)
print(done.returncode, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
"""


def repair_peak_rss(folder: Path, rows: int, row_bytes: int) -> int:
    """Peak resident memory (bytes) of one `dbinit repair` process that rebuilds a
    table of `rows` rows of `row_bytes` each (a type change forces the rebuild)."""
    folder.mkdir()
    db = make_db(folder / "app.db", "CREATE TABLE t (a TEXT, b BLOB);")
    conn = sqlite3.connect(db)
    for i in range(rows):
        conn.execute("INSERT INTO t VALUES (?, randomblob(?))", (str(i), row_bytes))
    conn.commit()
    conn.close()
    schemas = write_schema(folder / "schemas", {"001.sql": "CREATE TABLE t (a INTEGER, b BLOB);"})
    dbinit = str(Path(sys.executable).parent / "dbinit")
    command = [dbinit, "repair", "--yes", "-d", str(db), "-s", str(schemas), "--log-level", "error"]
    # A wrapper process whose only child is dbinit: RUSAGE_CHILDREN is then dbinit's peak.
    out = subprocess.run(
        [sys.executable, "-c", PEAK_RSS, *command],
        capture_output=True,
        text=True,
        timeout=600,
        env=child_env(),
        check=True,
    ).stdout.split()
    assert out[0] == "0", out
    conn = sqlite3.connect(db)
    assert conn.execute("SELECT count(*), sum(length(b)) FROM t").fetchone() == (
        rows,
        rows * row_bytes,
    )
    conn.close()
    return int(out[1]) * 1024  # ru_maxrss is in KiB on Linux


@pytest.mark.skipif(sys.platform != "linux", reason="ru_maxrss units differ off Linux")
def test_repair_memory_is_bounded_by_the_largest_row_not_the_table(tmp_path: Path) -> None:
    """docs/performance.md: peak memory ≈ a fixed base + 2 × the largest row."""
    mib = 2**20
    base = repair_peak_rss(tmp_path / "base", rows=3, row_bytes=100)
    few = repair_peak_rss(tmp_path / "few", rows=2, row_bytes=24 * mib)
    many = repair_peak_rss(tmp_path / "many", rows=6, row_bytes=24 * mib)
    # Generous: measured ≈ base + 2 × 24 MiB; copying through Python or holding the
    # table would be ≥ 6 × 24 MiB above base.
    assert few <= base + 3 * 24 * mib + 16 * mib, (base, few)
    assert many <= base + 3 * 24 * mib + 16 * mib, (base, many)
    assert many - few < 24 * mib, (few, many)  # three times the rows, not more memory


def test_a_parent_rebuild_that_changes_its_keys_is_checked_against_its_children(
    cli, tmp_path: Path
) -> None:
    """Issue 15 §5 (mutation survivor): a rebuild of a parent whose key values
    change (a type change converted by `using=`) leaves rows of an untouched child pointing at nothing: the
    foreign-key check covers the children too, so nothing is committed."""
    parent = "CREATE TABLE p (id INTEGER PRIMARY KEY, label TEXT);\n"
    child = "CREATE TABLE c (id INTEGER PRIMARY KEY, p_id INTEGER REFERENCES p(id));\n"
    db = make_db(
        tmp_path / "app.db",
        parent
        + child
        + "INSERT INTO p VALUES (1, 'one'), (2, 'two');\n"
        + "INSERT INTO c VALUES (10, 1), (20, 2), (30, NULL);\n",
    )
    folder = write_schema(
        tmp_path / "schemas",
        {
            "001.sql": "CREATE TABLE p (\n"
            "  id TEXT PRIMARY KEY, -- dbinit: using='k' || id\n"
            "  label TEXT\n"
            ");\n" + child
        },
    )
    before = digest(db)
    res = run_repair(cli, db, folder)
    assert res.exit_code == 3, res.stdout
    err = res.json()["error"]
    assert err["error_code"] == "DB_005"
    assert "Foreign key check failed" in err["message"], err
    assert "2 row(s) of c refer to missing rows of p" in err["message"], err
    assert "rolled back" in err["message"]
    assert digest(db) == before
    conn = sqlite3.connect(db)
    assert conn.execute("SELECT id, typeof(id) FROM p ORDER BY id").fetchall() == [
        (1, "integer"),
        (2, "integer"),
    ]
    conn.close()
