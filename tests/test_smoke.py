from __future__ import annotations

import sqlite3
from pathlib import Path

from tests.conftest import USERS_ONLY, make_db


def test_seed_failure_story(cli, shipped_schemas: Path, tmp_path: Path) -> None:
    """A database with `users` but no `portfolio_snapshots`: check names it,
    init creates it, the users' rows are untouched."""
    db = tmp_path / "app.db"
    make_db(db, USERS_ONLY)
    res = cli("check", "--format", "json")
    assert res.exit_code == 1, res.stdout
    doc = res.json()
    assert doc["status"] == "drift"
    missing = {c["name"] for c in doc["changes"] if c["kind"] == "missing_table"}
    assert missing == {"portfolio_snapshots"}

    res = cli("init", "--format", "json")
    assert res.exit_code == 0, res.stdout
    assert res.json()["status"] == "applied"

    conn = sqlite3.connect(db)
    rows = conn.execute("SELECT email, password_hash FROM users ORDER BY id").fetchall()
    assert rows == [("a@x.io", "h1"), ("b@x.io", "h2")]
    assert conn.execute("SELECT count(*) FROM portfolio_snapshots").fetchone() == (0,)
    conn.close()

    res = cli("check", "--format", "json")
    assert res.exit_code == 0, res.stdout
    assert res.json()["changes"] == []
