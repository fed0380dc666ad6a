"""Four-phase table tests of the diff (after sqldef's testutil): for each case,
(1) applying is idempotent, (2) live → desired yields exactly the expected
changes and plan, (3) desired → desired plans nothing, (4) rows are kept."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from dbinit.changes import Change
from dbinit.plan import Mode, Policy
from dbinit.sqlite.desired import build
from dbinit.sqlite.diff import diff
from dbinit.sqlite.introspect import introspect
from dbinit.sqlite.plan import make_plan
from dbinit.sqlite.sqlfiles import load
from tests.conftest import make_db, write_schema


def changes_between(tmp_path: Path, live_sql: str, desired_sql: str) -> list[Change]:
    db = tmp_path / "live.db"
    db.unlink(missing_ok=True)
    make_db(db, live_sql)
    folder = write_schema(tmp_path / "desired", {"001.sql": desired_sql})
    desired = build(load(folder, "desired"))
    conn = sqlite3.connect(db)
    try:
        return diff(desired.schema, introspect(conn))
    finally:
        conn.close()


def kinds(changes: list[Change]) -> list[tuple[str, str, str]]:
    return [(c.kind.value, c.name, c.safety.value) for c in changes]


USERS = "CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT NOT NULL UNIQUE);"
ROWS = "INSERT INTO users (email) VALUES ('a@x.io'), ('b@x.io'), ('c@x.io');"

# (id, live, desired, expected changes, expected plan statements (prefixes))
SAFE_CASES = [
    (
        "missing table",
        USERS,
        USERS + "CREATE TABLE posts (id INTEGER PRIMARY KEY, body TEXT);",
        [("missing_table", "posts", "safe")],
        ["CREATE TABLE posts"],
    ),
    (
        "appended nullable column",
        USERS,
        "CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT NOT NULL UNIQUE, name TEXT);",
        [("missing_column", "name", "safe")],
        ['ALTER TABLE "users" ADD COLUMN name TEXT'],
    ),
    (
        "appended columns with constant defaults",
        USERS,
        "CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT NOT NULL UNIQUE,"
        " score REAL NOT NULL DEFAULT (0), tag TEXT DEFAULT 'new' CHECK (length(tag) < 9),"
        " n INTEGER DEFAULT -1);",
        [
            ("missing_column", "score", "safe"),
            ("missing_column", "tag", "safe"),
            ("missing_column", "n", "safe"),
        ],
        [
            'ALTER TABLE "users" ADD COLUMN score REAL NOT NULL DEFAULT (0)',
            """ALTER TABLE "users" ADD COLUMN tag TEXT DEFAULT 'new' CHECK (length(tag) < 9)""",
            'ALTER TABLE "users" ADD COLUMN n INTEGER DEFAULT -1',
        ],
    ),
    (
        "appended column with a foreign key and NULL default",
        USERS + "CREATE TABLE posts (id INTEGER PRIMARY KEY);",
        USERS + "CREATE TABLE posts (id INTEGER PRIMARY KEY, author INTEGER REFERENCES users(id));",
        [("missing_column", "author", "safe")],
        ['ALTER TABLE "posts" ADD COLUMN author INTEGER REFERENCES users(id)'],
    ),
    (
        "appended virtual generated column",
        USERS,
        "CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT NOT NULL UNIQUE,"
        " domain TEXT GENERATED ALWAYS AS (substr(email, instr(email, '@') + 1)) VIRTUAL);",
        [("missing_column", "domain", "safe")],
        ['ALTER TABLE "users" ADD COLUMN domain TEXT GENERATED ALWAYS AS'],
    ),
    (
        "missing index, view and trigger",
        USERS,
        USERS
        + "CREATE INDEX users_email ON users (email);"
        + "CREATE VIEW user_emails AS SELECT email FROM users;"
        + "CREATE TRIGGER users_ai AFTER INSERT ON users BEGIN SELECT 1; END;",
        [
            ("missing_index", "users_email", "safe"),
            ("missing_view", "user_emails", "safe"),
            ("missing_trigger", "users_ai", "safe"),
        ],
        ["CREATE INDEX users_email", "CREATE TRIGGER users_ai", "CREATE VIEW user_emails"],
    ),
    (
        "missing FTS5 virtual table",
        USERS,
        USERS + "CREATE VIRTUAL TABLE docs USING fts5(title, body);",
        [("missing_table", "docs", "safe")],
        ["CREATE VIRTUAL TABLE docs USING fts5"],
    ),
]


@pytest.mark.parametrize(
    ("live", "desired", "expected", "plan"),
    [c[1:] for c in SAFE_CASES],
    ids=[c[0] for c in SAFE_CASES],
)
def test_safe_changes_four_phases(
    cli, tmp_path: Path, live: str, desired: str, expected: list, plan: list[str]
) -> None:
    # (2) live → desired yields exactly the expected changes and plan
    changes = changes_between(tmp_path, live + ROWS, desired)
    assert kinds(changes) == expected
    db = tmp_path / "live.db"
    res = cli("init", "--format", "json", "-d", str(db), "-s", str(tmp_path / "desired"))
    assert res.exit_code == 0, res.stdout
    applied = res.json()["applied"]
    assert len(applied) == len(plan)
    for statement, prefix in zip(applied, plan, strict=True):
        assert statement.startswith(prefix), (statement, prefix)
    # (4) rows kept
    conn = sqlite3.connect(db)
    assert conn.execute("SELECT email FROM users ORDER BY id").fetchall() == [
        ("a@x.io",),
        ("b@x.io",),
        ("c@x.io",),
    ]
    conn.close()
    # (1) idempotent: nothing left, nothing applied the second time
    res = cli("init", "--format", "json", "-d", str(db), "-s", str(tmp_path / "desired"))
    assert res.exit_code == 0, res.stdout
    assert res.json()["applied"] == []
    assert res.json()["status"] == "in_sync"
    # (3) desired → desired plans nothing
    assert changes_between(tmp_path, desired, desired) == []


SAME = [
    (
        "DEFAULT 0 vs DEFAULT (0)",
        "CREATE TABLE t (a INT DEFAULT 0);",
        "CREATE TABLE t (a INT DEFAULT (0));",
    ),
    (
        "identifier case and quoting",
        'CREATE TABLE Users ("ID" integer PRIMARY KEY, [Email] text);',
        "create table users (id INTEGER primary key, email TEXT);",
    ),
    (
        "IF NOT EXISTS and layout",
        "CREATE TABLE t(a TEXT NOT NULL,b INT);",
        "CREATE TABLE IF NOT EXISTS t (\n  a   TEXT  NOT NULL, -- the a\n  b INT /* b */\n);",
    ),
    (
        "view body whitespace and comments",
        "CREATE TABLE t (a INT); CREATE VIEW v AS SELECT a FROM t WHERE a > 1;",
        "CREATE TABLE t (a INT);\nCREATE VIEW v AS\n  SELECT a -- only a\n  FROM t\n  WHERE a>1;",
    ),
    (
        "trigger body layout",
        "CREATE TABLE t (a INT); CREATE TRIGGER tr AFTER INSERT ON t BEGIN UPDATE t SET a = 1; END;",
        "CREATE TABLE t (a INT);\nCREATE TRIGGER tr AFTER INSERT ON t\nBEGIN\n"
        "  update t set a=1;  -- reset\nEND;",
    ),
    (
        "index quoting and spacing",
        "CREATE TABLE t (a INT, b INT); CREATE INDEX ix ON t(a, b DESC);",
        'CREATE TABLE t (a INT, b INT); CREATE INDEX "IX" ON "T" ( "a" , b desc );',
    ),
    (
        "CHECK and COLLATE spelling",
        "CREATE TABLE t (a TEXT COLLATE nocase CHECK(a<>''));",
        "CREATE TABLE t (a TEXT COLLATE NOCASE CHECK (a <> ''));",
    ),
    (
        "DEFAULT expression spacing",
        "CREATE TABLE t (a INT DEFAULT (1+2));",
        "CREATE TABLE t (a INT DEFAULT ( 1 + 2 ));",
    ),
    (
        "DEFAULT expression keyword case, comments and parentheses",
        "CREATE TABLE t (a TEXT DEFAULT (lower('X')||'y'), b INT DEFAULT -1);",
        "CREATE TABLE t (a TEXT DEFAULT ((LOWER( 'X' ) /* x */ || 'y')), b INT DEFAULT - 1);",
    ),
    (
        "explicit COLLATE BINARY is the default",
        "CREATE TABLE t (a TEXT);",
        "CREATE TABLE t (a TEXT COLLATE BINARY);",
    ),
    (
        "foreign key actions spelled differently",
        "CREATE TABLE p (id INTEGER PRIMARY KEY);"
        "CREATE TABLE c (p INT REFERENCES p(id) on delete cascade);",
        "CREATE TABLE p (id INTEGER PRIMARY KEY);"
        'CREATE TABLE c (p INT, FOREIGN KEY (p) REFERENCES "P" ("ID") ON DELETE CASCADE);',
    ),
]


@pytest.mark.parametrize(("live", "desired"), [c[1:] for c in SAME], ids=[c[0] for c in SAME])
def test_two_spellings_compare_equal(tmp_path: Path, live: str, desired: str) -> None:
    assert changes_between(tmp_path, live, desired) == []
    assert changes_between(tmp_path, desired, live) == []


T = "CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT);"
REBUILD_CASES = [
    ("type", T, "CREATE TABLE t (id INTEGER PRIMARY KEY, a INTEGER);", [("column_changed", "a")]),
    (
        "NOT NULL",
        T,
        "CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT NOT NULL);",
        [("column_changed", "a")],
    ),
    (
        "DEFAULT",
        T,
        "CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT DEFAULT 'x');",
        [("column_changed", "a")],
    ),
    (
        "COLLATE",
        T,
        "CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT COLLATE NOCASE);",
        [("column_changed", "a")],
    ),
    (
        "PRIMARY KEY",
        T,
        "CREATE TABLE t (id INTEGER, a TEXT, PRIMARY KEY (id, a));",
        [("table_changed", "t")],
    ),
    (
        "CHECK",
        T,
        "CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT, CHECK (a <> ''));",
        [("table_changed", "t")],
    ),
    (
        "UNIQUE",
        T,
        "CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT, UNIQUE (a));",
        [("table_changed", "t")],
    ),
    (
        "FOREIGN KEY added",
        T + "CREATE TABLE p (x TEXT PRIMARY KEY);",
        "CREATE TABLE p (x TEXT PRIMARY KEY);"
        "CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT REFERENCES p(x));",
        [("table_changed", "t")],
    ),
    (
        "STRICT",
        T,
        "CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT) STRICT;",
        [("table_changed", "t")],
    ),
    (
        "WITHOUT ROWID (its PRIMARY KEY becomes NOT NULL too)",
        T,
        "CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT) WITHOUT ROWID;",
        [("column_changed", "id"), ("table_changed", "t")],
    ),
    (
        "AUTOINCREMENT",
        T,
        "CREATE TABLE t (id INTEGER PRIMARY KEY AUTOINCREMENT, a TEXT);",
        [("table_changed", "t")],
    ),
    (
        "column in the middle",
        T,
        "CREATE TABLE t (id INTEGER PRIMARY KEY, b TEXT, a TEXT);",
        [("missing_column", "b")],
    ),
    (
        "NOT NULL without default",
        T,
        "CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT, b TEXT NOT NULL);",
        [("missing_column", "b")],
    ),
    (
        "non-constant default",
        T,
        "CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT, b TEXT DEFAULT CURRENT_TIMESTAMP);",
        [("missing_column", "b")],
    ),
    (
        "UNIQUE column",
        T,
        "CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT, b TEXT UNIQUE);",
        [("missing_column", "b")],
    ),
    (
        "NOT NULL column with an explicit DEFAULT NULL",
        T,
        "CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT, b TEXT NOT NULL DEFAULT NULL);",
        [("missing_column", "b")],
    ),
    (
        "NOT NULL column with DEFAULT +NULL",
        T,
        "CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT, b TEXT NOT NULL DEFAULT +NULL);",
        [("missing_column", "b")],
    ),
    (
        "STORED generated column",
        T,
        "CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT, b TEXT AS (upper(a)) STORED);",
        [("missing_column", "b")],
    ),
    (
        "generated expression",
        "CREATE TABLE t (a INT, b INT AS (a + 1));",
        "CREATE TABLE t (a INT, b INT AS (a + 2));",
        [("column_changed", "b")],
    ),
    (
        "column rename hint",
        T,
        "CREATE TABLE t (\n  id INTEGER PRIMARY KEY,\n  body TEXT -- dbinit: renamed-from=a\n);",
        [("column_renamed", "body")],
    ),
    (
        "table rename hint",
        T,
        "-- dbinit: renamed-from=t\nCREATE TABLE items (id INTEGER PRIMARY KEY, a TEXT);",
        [("table_renamed", "items")],
    ),
    (
        "index definition",
        T + "CREATE INDEX ix ON t (a);",
        T + "CREATE UNIQUE INDEX ix ON t (a);",
        [("index_changed", "ix")],
    ),
    (
        "view definition",
        T + "CREATE VIEW v AS SELECT a FROM t;",
        T + "CREATE VIEW v AS SELECT id, a FROM t;",
        [("view_changed", "v")],
    ),
    (
        "trigger definition",
        T + "CREATE TRIGGER tr AFTER INSERT ON t BEGIN SELECT 1; END;",
        T + "CREATE TRIGGER tr AFTER UPDATE ON t BEGIN SELECT 1; END;",
        [("trigger_changed", "tr")],
    ),
]


@pytest.mark.parametrize(
    ("live", "desired", "expected"),
    [c[1:] for c in REBUILD_CASES],
    ids=[c[0] for c in REBUILD_CASES],
)
def test_rebuild_changes_are_classified_and_init_refuses(
    cli, tmp_path: Path, live: str, desired: str, expected: list
) -> None:
    changes = changes_between(tmp_path, live, desired)
    assert [(c.kind.value, c.name) for c in changes] == expected
    assert all(c.safety.value == "rebuild" for c in changes)
    db = tmp_path / "live.db"
    before = db.read_bytes()
    res = cli("init", "--format", "json", "-d", str(db), "-s", str(tmp_path / "desired"))
    assert res.exit_code == 3, res.stdout
    doc = res.json()
    assert doc["status"] == "refused"
    assert doc["error"]["error_code"] == "DB_007"
    assert "dbinit repair" in doc["error"]["message"]
    assert db.read_bytes() == before
    assert changes_between(tmp_path, desired, desired) == []


@pytest.mark.parametrize("default", ["NULL", "null", "(NULL)", "((null))", "+NULL"])
def test_not_null_default_null_column_is_a_refusal_not_a_failed_add(
    cli, tmp_path: Path, default: str
) -> None:
    """SQLite refuses `ADD COLUMN … NOT NULL DEFAULT NULL` on a table with rows
    ("Cannot add a NOT NULL column with default value NULL"): an explicit NULL
    default is no default, so the change is a rebuild and `init` refuses it."""
    desired = f"CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT, b TEXT NOT NULL DEFAULT {default});"
    (change,) = changes_between(tmp_path, T + "INSERT INTO t (a) VALUES ('x'), ('y');", desired)
    assert (change.kind.value, change.column, change.safety.value) == (
        "missing_column",
        "b",
        "rebuild",
    )
    assert "NOT NULL without a non-NULL default" in change.detail
    db = tmp_path / "live.db"
    before = db.read_bytes()
    res = cli("init", "--format", "json", "-d", str(db), "-s", str(tmp_path / "desired"))
    assert res.exit_code == 3, res.stdout
    assert res.json()["error"]["error_code"] == "DB_007"
    assert db.read_bytes() == before


DESTRUCTIVE_CASES = [
    ("extra table", T + "CREATE TABLE old (x);", T, [("extra_table", "old")]),
    (
        "extra column",
        "CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT, legacy INT);",
        T,
        [("extra_column", "legacy")],
    ),
    ("extra index", T + "CREATE INDEX ix ON t(a);", T, [("extra_index", "ix")]),
    ("extra view", T + "CREATE VIEW v AS SELECT * FROM t;", T, [("extra_view", "v")]),
    (
        "extra trigger",
        T + "CREATE TRIGGER tr AFTER INSERT ON t BEGIN SELECT 1; END;",
        T,
        [("extra_trigger", "tr")],
    ),
    (
        "an extra table's own index is not listed twice",
        T + "CREATE TABLE old (x); CREATE INDEX old_x ON old(x);",
        T,
        [("extra_table", "old")],
    ),
]


@pytest.mark.parametrize(
    ("live", "desired", "expected"),
    [c[1:] for c in DESTRUCTIVE_CASES],
    ids=[c[0] for c in DESTRUCTIVE_CASES],
)
def test_extra_objects_are_destructive_and_never_block_init(
    cli, tmp_path: Path, live: str, desired: str, expected: list
) -> None:
    changes = changes_between(tmp_path, live, desired)
    assert [(c.kind.value, c.name) for c in changes] == expected
    assert all(c.safety.value == "destructive" for c in changes)
    db = tmp_path / "live.db"
    before = db.read_bytes()
    folder = str(tmp_path / "desired")
    res = cli("check", "--format", "json", "-d", str(db), "-s", folder)
    assert res.exit_code == 0, res.stdout  # extra objects are warnings
    res = cli("init", "--format", "json", "-d", str(db), "-s", folder)
    assert res.exit_code == 0, res.stdout
    assert res.json()["applied"] == []
    assert db.read_bytes() == before
    res = cli("validate", "--format", "json", "-d", str(db), "-s", folder)
    assert res.exit_code == 1, res.stdout
    res = cli("validate", "--allow-extra", "--format", "json", "-d", str(db), "-s", folder)
    assert res.exit_code == 0, res.stdout


def test_internal_objects_are_never_diffed(tmp_path: Path) -> None:
    live = (
        "CREATE TABLE t (id INTEGER PRIMARY KEY AUTOINCREMENT, a TEXT);"
        "CREATE VIRTUAL TABLE docs USING fts5(body);"
        "CREATE TABLE _dbinit_history (id INTEGER PRIMARY KEY);"
        "ANALYZE;"
    )
    desired = "CREATE TABLE t (id INTEGER PRIMARY KEY AUTOINCREMENT, a TEXT);"
    desired += "CREATE VIRTUAL TABLE docs USING fts5(body);"
    # sqlite_sequence, sqlite_stat1, the FTS shadow tables and the history table
    assert changes_between(tmp_path, live, desired) == []


def test_changes_carry_sql_and_both_sides(tmp_path: Path) -> None:
    changes = changes_between(tmp_path, T, "CREATE TABLE t (id INTEGER PRIMARY KEY, a INTEGER);")
    (change,) = changes
    assert change.before == "a TEXT"
    assert change.after == "a INTEGER"
    assert "type TEXT → INTEGER" in change.detail
    folder = tmp_path / "desired"
    desired = build(load(folder, "desired"))
    conn = sqlite3.connect(tmp_path / "live.db")
    live = introspect(conn)
    conn.close()
    plan = make_plan(changes, desired.schema, live, Policy(Mode.REPAIR))
    (annotated,) = plan.changes
    assert annotated.sql[0].startswith('CREATE TABLE "_dbinit_new_t"')
    assert any(s.startswith("INSERT INTO") for s in annotated.sql)


ORDERS_LIVE = (
    "CREATE TABLE parent (Id INTEGER PRIMARY KEY, code TEXT UNIQUE);"
    "CREATE TABLE orders (id INTEGER PRIMARY KEY, Price NUMERIC(10,2), quantity INT,"
    " lastModified TEXT, ref INT REFERENCES parent(Id), "
    " total REAL AS (quantity*2), CHECK (Price<>-1));"
)
ORDERS_DESIRED = """CREATE TABLE parent (Id INTEGER PRIMARY KEY, code TEXT UNIQUE);
CREATE TABLE orders (
  id INTEGER PRIMARY KEY,
  Price NUMERIC(12, 2) NOT NULL DEFAULT (1+2) COLLATE NOCASE,
  declaredNote TEXT,
  quantity INT CHECK (quantity <= 10 /* at most */),
  lastModified TEXT,
  ref INT REFERENCES parent(code) ON DELETE CASCADE,
  total REAL AS (quantity||'x'),
  CHECK (quantity > 0 AND Price >= 0),
  UNIQUE (quantity, lastModified)
);
"""


def test_details_show_sql_as_written_and_name_every_object(tmp_path: Path) -> None:
    """No tokenizer artifacts (`< =`, `NUMERIC ( 10 , 2 )`, `:quantity`), declared
    names (not folded keys), and the missing column named in its own detail."""
    changes = changes_between(tmp_path, ORDERS_LIVE, ORDERS_DESIRED)
    by = {(c.kind.value, c.name): c.detail for c in changes}
    missing = by[("missing_column", "declaredNote")]
    assert missing.endswith(
        "absent from the table; ALTER TABLE cannot add column declaredNote: it is declared "
        "before total (ADD COLUMN only appends), so table orders is rebuilt"
    ), missing
    assert by[("column_changed", "Price")] == (
        "type NUMERIC(10,2) → NUMERIC(12, 2); NOT NULL no → yes; DEFAULT (none) → (1+2); "
        "COLLATE BINARY → NOCASE"
    )
    assert by[("column_changed", "total")] == (
        "generated VIRTUAL AS (quantity*2) → VIRTUAL AS (quantity||'x')"
    )
    assert by[("table_changed", "orders")] == (
        "UNIQUE: (none) → (quantity, lastModified); "
        "CHECK: CHECK (Price<>-1) → CHECK (quantity > 0 AND Price >= 0), "
        "quantity CHECK (quantity <= 10); "
        "FOREIGN KEY: (ref) REFERENCES parent(id) → "
        "(ref) REFERENCES parent(code) ON DELETE CASCADE"
    )
    for detail in by.values():
        for artifact in ("< =", "> =", "| |", " ( ", " , ", ":quantity", "lastmodified"):
            assert artifact not in detail, (artifact, detail)


def test_non_constant_default_detail_shows_the_default_as_written(tmp_path: Path) -> None:
    (change,) = changes_between(
        tmp_path,
        T,
        "CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT, b TEXT DEFAULT (lower( 'X' )));",
    )
    assert "ALTER TABLE cannot add column b: a non-constant default (lower( 'X' ))" in (
        change.detail
    ), change.detail


def test_diff_order_is_deterministic(tmp_path: Path) -> None:
    live = "CREATE TABLE b (x); CREATE TABLE a (x); CREATE TABLE z (x);"
    desired = "CREATE TABLE c (x); CREATE TABLE d (x); CREATE TABLE a (x, y);"
    first = kinds(changes_between(tmp_path, live, desired))
    for _ in range(3):
        assert kinds(changes_between(tmp_path, live, desired)) == first
