"""`repair`: 12-step rebuilds that keep every row, index, trigger and view."""

from __future__ import annotations

import hashlib
import os
import sqlite3
from pathlib import Path

import pytest

from tests.conftest import digest, make_db, write_schema

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
            "CREATE TABLE t (a); CREATE TABLE old (x);",
            "CREATE TABLE t (a);",
            (),
            "--allow-data-loss",
        ),
        ("CREATE TABLE t (a, legacy);", "CREATE TABLE t (a);", ("--prune",), "--allow-data-loss"),
        (
            "CREATE TABLE t (a); CREATE INDEX ix ON t(a);",
            "CREATE TABLE t (a);",
            ("--allow-data-loss",),
            "--prune",
        ),
        (
            "CREATE TABLE t (a); CREATE VIEW v AS SELECT a FROM t;",
            "CREATE TABLE t (a);",
            (),
            "--prune",
        ),
    ],
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
    assert digest(db) == before
    assert list(tmp_path.glob("*.bak")) == []


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
    assert names == {"t", "_dbinit_history"}
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
        "002_items.sql",
        "003_kv.sql",
        "004_order.sql",
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
    res = cli("repair", "--dry-run", "-d", str(db), "-s", str(folder))
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
