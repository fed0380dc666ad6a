"""An app keeps writing while `dbinit init` adds an index, a CHECK and a
FOREIGN KEY to the table it writes to (postgres.md "Applying", issue 10 §3).

Oracles independent of dbinit: the app's own count of its inserts against a
`count(*)` of the table; an event trigger (outside the managed schema) that
records every DDL statement the server ran, as the server received it
(`current_query()`), proving CREATE INDEX CONCURRENTLY and NOT VALID +
VALIDATE; and `pg_catalog` for the final state (index valid, constraints
validated).

The app's longest stall is printed (`pytest -s` shows it) and, when
DBINIT_PG_STALL_REPORT is set, written to benchmarks/pg_online_stall.json. It is
never asserted: time is measured, not tested.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import psycopg

from tests.conftest import write_schema
from tests.postgres.helpers import (
    HANG_GUARD,
    REPO,
    dbinit,
    dbinit_argv,
    dbinit_env,
    execute,
    pg_db_url,
    scalar,
)

__all__ = ["pg_db_url"]  # the fixture

# Read at import time: the autouse fixture of conftest.py clears DBINIT_* variables.
STALL_REPORT = os.environ.get("DBINIT_PG_STALL_REPORT")
APP = Path(__file__).resolve().parent / "app_writer.py"
SEED_ROWS = 200_000  # enough for the index build and the validations to take a moment

TABLES = """
CREATE TABLE accounts (id integer PRIMARY KEY);
CREATE TABLE events (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    account_id integer NOT NULL,
    amount integer NOT NULL,
    note text
);
"""
SEED = f"""
INSERT INTO accounts SELECT generate_series(1, 10);
INSERT INTO events (account_id, amount, note)
    SELECT g % 10 + 1, g % 100, 'seed' FROM generate_series(1, {SEED_ROWS}) g;
ANALYZE;
"""
DESIRED = """
CREATE TABLE accounts (id integer PRIMARY KEY);
CREATE TABLE events (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    account_id integer NOT NULL,
    amount integer NOT NULL,
    note text,
    CONSTRAINT events_amount_nonneg CHECK (amount >= 0),
    CONSTRAINT events_account_fk FOREIGN KEY (account_id) REFERENCES accounts (id)
);
CREATE INDEX events_account_amount ON events (account_id, amount);
"""
# Every DDL statement the server runs in this database, recorded by the server
# itself, in a schema dbinit does not manage.
AUDIT = """
CREATE SCHEMA audit;
CREATE TABLE audit.ddl (id serial PRIMARY KEY, tag text NOT NULL, query text NOT NULL);
CREATE FUNCTION audit.record() RETURNS event_trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO audit.ddl (tag, query) VALUES (tg_tag, current_query());
END $$;
CREATE EVENT TRIGGER audit_ddl ON ddl_command_end EXECUTE FUNCTION audit.record();
"""


def _wait_for(what: str, ready: Any) -> None:
    t0 = time.monotonic()
    while not ready():
        assert time.monotonic() - t0 < HANG_GUARD, f"hang guard: waiting for {what}"
        time.sleep(0.02)


def _ddl(url: str) -> list[str]:
    with psycopg.connect(url, autocommit=True) as conn:
        return [r[0] for r in conn.execute("SELECT query FROM audit.ddl ORDER BY id").fetchall()]


def test_app_keeps_writing_while_init_adds_index_and_constraints(
    tmp_path: Path, pg_db_url: str
) -> None:
    url = pg_db_url
    execute(url, TABLES + SEED + AUDIT)
    schemas = write_schema(tmp_path / "schemas", {"001.sql": DESIRED})
    stop = tmp_path / "stop"
    app = subprocess.Popen(
        [sys.executable, str(APP), url, "events", str(stop), "100000", str(HANG_GUARD / 2)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        _wait_for("the app's first insert", Path(f"{stop}.ready").exists)
        res = dbinit(url, "init", "--schema-dir", str(schemas))
        after_init = scalar(url, "SELECT count(*) FROM events WHERE note = 'app'")
        # the app keeps writing after the new constraints are in place
        _wait_for(
            "more app inserts",
            lambda: (
                scalar(url, "SELECT count(*) FROM events WHERE note = 'app'") >= after_init + 20
            ),
        )
    finally:
        stop.touch()
        out, err = app.communicate(timeout=HANG_GUARD)
    assert app.returncode == 0, err
    summary = json.loads(out)

    # init applied the plan and exited 0
    assert res.exit_code == 0, res.stdout + res.stderr
    report = res.json()
    assert report["status"] == "applied", report
    assert sorted(c["kind"] for c in report["changes"]) == [
        "missing_constraint",
        "missing_constraint",
        "missing_index",
        "unmanaged_event_trigger",  # the audit trigger: listed, never touched
    ], report["changes"]

    # no lost or failed writes: the app's count, the table's count
    assert summary["failed"] == 0, summary["errors"]
    assert summary["ok"] == summary["attempted"]
    assert scalar(url, "SELECT count(*) FROM events WHERE note = 'app'") == summary["ok"]
    assert scalar(url, "SELECT count(*) FROM events") == SEED_ROWS + summary["ok"]

    # the server ran the online techniques (event-trigger oracle)
    ddl = [" ".join(q.split()) for q in _ddl(url)]
    index = [q for q in ddl if "events_account_amount" in q and q.upper().startswith("CREATE")]
    assert index and all("CONCURRENTLY" in q.upper() for q in index), ddl
    for name in ("events_amount_nonneg", "events_account_fk"):
        added = [q for q in ddl if name in q and "ADD CONSTRAINT" in q.upper()]
        assert added and all(q.upper().endswith("NOT VALID") for q in added), ddl
        assert any(name in q and "VALIDATE CONSTRAINT" in q.upper() for q in ddl), ddl

    # the final state, from pg_catalog: the index valid, both constraints validated
    with psycopg.connect(url, autocommit=True) as conn:
        idx = conn.execute(
            "SELECT i.indisvalid, i.indisready FROM pg_index i"
            " WHERE i.indexrelid = 'public.events_account_amount'::regclass"
        ).fetchone()
        cons = conn.execute(
            "SELECT conname, contype::text, convalidated FROM pg_constraint"
            " WHERE conrelid = 'public.events'::regclass AND contype IN ('c', 'f') ORDER BY 1"
        ).fetchall()
    assert idx == (True, True)
    assert cons == [("events_account_fk", "f", True), ("events_amount_nonneg", "c", True)]

    # a second run has nothing left to do
    again = dbinit(url, "init", "--schema-dir", str(schemas))
    assert again.exit_code == 0, again.stdout + again.stderr
    assert again.json()["applied"] == []

    figures = {
        "test": "tests/postgres/test_online.py",
        "seed_rows": SEED_ROWS,
        "app_inserts": summary["ok"],
        "app_longest_stall_ms": summary["longest_stall_ms"],
        "init_duration_ms": report["duration_ms"],
        "server": scalar(url, "SHOW server_version"),
    }
    print(f"\napp's longest stall during init: {summary['longest_stall_ms']} ms ({figures})")
    if STALL_REPORT:
        out_path = REPO / "benchmarks" / "pg_online_stall.json"
        out_path.write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")


def test_check_behind_an_app_lock_gives_up_within_the_time_limit(
    tmp_path: Path, pg_db_url: str
) -> None:
    """Reading the catalogs waits for table locks too (pg_get_indexdef, pg_get_expr
    take ACCESS SHARE): behind an app's ACCESS EXCLUSIVE lock, `check` must still
    end within its time limit, 75 with retry_after, not wait as long as the app."""
    url = pg_db_url
    execute(url, TABLES)
    schemas = write_schema(tmp_path / "schemas", {"001.sql": DESIRED})
    holder = psycopg.connect(url)
    try:
        holder.execute("LOCK TABLE events IN ACCESS EXCLUSIVE MODE")  # held until released below
        proc = subprocess.Popen(
            dbinit_argv(url, "check", "--schema-dir", str(schemas)),
            env=dbinit_env(DBINIT_LOCK_TIMEOUT="0.5", DBINIT_INITIALIZATION_TIMEOUT="2"),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            # hang guard ten times the time limit: an honest run has ended long before
            out, err = proc.communicate(timeout=20)
            ended_while_locked = True
        except subprocess.TimeoutExpired:
            ended_while_locked = False
    finally:
        holder.rollback()
        holder.close()
    if not ended_while_locked:
        out, err = proc.communicate(timeout=HANG_GUARD)
    assert ended_while_locked, "check still waiting for the table lock after its time limit"
    assert proc.returncode == 75, out + err
    doc = json.loads(out)
    assert doc["error"]["retry_after"], doc
