"""The plan is recomputed under the write lock (issue 15 §5, mutation survivors).

Another session changes the schema after dbinit planned and before it has the
lock: it holds SQLite's write lock (`BEGIN IMMEDIATE`), dbinit plans and waits
(`database.busy`), the other session makes its change and commits. Then:

* `init` applies the plan recomputed under the lock (the schema cookie moved),
  never the one made before it: what the other session already did is not
  done again, and when it did everything, nothing is applied;
* `repair` refuses (3, nothing changed by it) when the recomputed plan is not
  the plan that was confirmed, and so does `init` with an approved plan file
  whose statements no longer match (engine.py's two `before_write` guards).
"""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import child_env, make_db, write_schema

TIMEOUT = 30  # a hang guard, far above any honest run
DBINIT = str(Path(sys.executable).parent / "dbinit")

LIVE = "CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT);\nINSERT INTO users VALUES (1, 'a@x.io');\n"
ORDERS = "CREATE TABLE orders (id INTEGER PRIMARY KEY, total INTEGER)"
INDEX = "CREATE INDEX users_email ON users (email)"


def changed_while_waiting(
    tmp_path: Path, db: Path, change: str, *args: str
) -> tuple[int, dict[str, Any], list[dict[str, Any]]]:
    """Run `dbinit *args` in a child while this process holds the write lock; once
    the child has planned and met the lock, run `change` and commit."""
    holder = sqlite3.connect(db, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    proc = subprocess.Popen(
        [DBINIT, *args, "--format", "json", "-d", str(db), "-s", str(tmp_path / "schemas")],
        cwd=tmp_path,
        env=child_env(
            DBINIT_RETRY_DELAY="0.05", DBINIT_RETRY_ATTEMPTS="30", DBINIT_LOG_FORMAT="json"
        ),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stderr is not None
        seen = []
        for line in proc.stderr:
            seen.append(line)
            event = json.loads(line)
            if event["event"] == "database.busy" and event.get("step") == "apply":
                break
        else:
            pytest.fail(f"dbinit never waited for the write lock: {''.join(seen)[-2000:]}")
        holder.execute(change)  # in the held transaction
        holder.execute("COMMIT")  # releases the lock
        out, err = proc.communicate(timeout=TIMEOUT)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
        holder.close()
    events = [json.loads(x) for x in seen + err.splitlines() if x.strip()]
    return proc.returncode, json.loads(out), events


def names(db: Path) -> set[str]:
    conn = sqlite3.connect(db)
    try:
        return {r[0] for r in conn.execute("SELECT name FROM sqlite_schema")}
    finally:
        conn.close()


def test_init_applies_the_plan_recomputed_under_the_lock(tmp_path: Path) -> None:
    db = make_db(tmp_path / "app.db", LIVE)
    write_schema(
        tmp_path / "schemas", {"001.sql": LIVE.splitlines()[0] + f"\n{ORDERS};\n{INDEX};\n"}
    )
    # planned: CREATE TABLE orders + CREATE INDEX; the other session creates orders
    code, doc, events = changed_while_waiting(tmp_path, db, ORDERS, "init")
    assert code == 0, doc
    assert doc["status"] == "applied"
    assert doc["applied"] == [INDEX], doc
    assert "diff.recomputed" in [e["event"] for e in events]
    assert {"orders", "users_email"} <= names(db)


def test_init_applies_nothing_when_the_other_session_did_it_all(tmp_path: Path) -> None:
    db = make_db(tmp_path / "app.db", LIVE)
    write_schema(tmp_path / "schemas", {"001.sql": LIVE.splitlines()[0] + f"\n{ORDERS};\n"})
    code, doc, _ = changed_while_waiting(tmp_path, db, ORDERS, "init")
    assert code == 0, doc
    assert doc["status"] == "in_sync", doc
    assert doc["applied"] == []


def test_repair_refuses_when_the_plan_changed_after_it_was_confirmed(tmp_path: Path) -> None:
    db = make_db(tmp_path / "app.db", LIVE)
    declared = "CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT NOT NULL);\n"
    write_schema(tmp_path / "schemas", {"001.sql": declared + f"{ORDERS};\n"})
    code, doc, _ = changed_while_waiting(tmp_path, db, ORDERS, "repair", "--yes", "--no-backup")
    assert code == 3, doc
    assert doc["error"]["error_code"] == "DB_007", doc
    assert "changed while repair was starting" in doc["error"]["message"], doc
    assert doc["applied"] == []
    conn = sqlite3.connect(db)
    (sql,) = conn.execute("SELECT sql FROM sqlite_schema WHERE name = 'users'").fetchone()
    conn.close()
    assert "NOT NULL" not in sql  # the rebuild did not run


def test_init_with_an_approved_plan_refuses_when_the_plan_changed(tmp_path: Path) -> None:
    db = make_db(tmp_path / "app.db", LIVE)
    declared = "CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT NOT NULL);\n"
    write_schema(tmp_path / "schemas", {"001.sql": declared + f"{ORDERS};\n"})
    made = subprocess.run(
        [DBINIT, "plan", "--format", "json", "-d", str(db), "-s", str(tmp_path / "schemas")],
        cwd=tmp_path,
        env=child_env(),
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=False,
    )
    assert made.returncode == 0, made.stdout + made.stderr
    assert json.loads(made.stdout)["plan_file"]["needs_approval"] is True
    code, doc, _ = changed_while_waiting(tmp_path, db, ORDERS, "init")
    assert code == 3, doc
    assert doc["error"]["error_code"] == "DB_007", doc
    message = doc["error"]["message"]
    assert "changed while init was starting" in message and "no longer matches" in message, doc
    assert doc["applied"] == []
    conn = sqlite3.connect(db)
    (sql,) = conn.execute("SELECT sql FROM sqlite_schema WHERE name = 'users'").fetchone()
    conn.close()
    assert "NOT NULL" not in sql  # the approved rebuild did not run
