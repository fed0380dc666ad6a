"""Issue 18 §4 on PostgreSQL: what the trial's new user met (dry run text, hints,
lock errors, history rows)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.conftest import write_schema
from tests.postgres.helpers import execute, pg_db_url

__all__ = ["pg_db_url"]  # the fixture


def test_dry_run_says_which_statements_run_after_the_transaction(
    cli: Any, pg_db_url: str, tmp_path: Path
) -> None:
    """A new index on a table with rows is built CONCURRENTLY, after the
    transaction commits: the text plan must not say it runs in the transaction."""
    execute(
        pg_db_url,
        "CREATE TABLE t (id integer PRIMARY KEY, v integer);"
        "INSERT INTO t SELECT g, g FROM generate_series(1, 10) g;",
    )
    write_schema(
        tmp_path / "schemas",
        {
            "001.sql": "CREATE TABLE t (id integer PRIMARY KEY, v integer);\n"
            "CREATE INDEX t_v ON t (v);\n"
            "CREATE TABLE u (id integer PRIMARY KEY);\n"
        },
    )
    res = cli("init", "--dry-run", "--database", pg_db_url)
    assert res.exit_code == 0, (res.stdout, res.stderr)
    lines = res.stdout.splitlines()
    (concurrent,) = [i for i, line in enumerate(lines) if "CONCURRENTLY" in line]
    (create_u,) = [i for i, line in enumerate(lines) if line.startswith("CREATE TABLE")]
    (head,) = [line for line in lines if line.startswith("Plan")]
    assert head == "Plan: 2 statement(s): 1 in one transaction, then 1 after it commits", head
    after = [i for i, line in enumerate(lines) if line.startswith("-- after the transaction")]
    assert len(after) == 1 and create_u < after[0] < concurrent, res.stdout


def test_constraint_details_name_their_kind_once(cli: Any, pg_db_url: str, tmp_path: Path) -> None:
    """`CHECK CHECK (…)`: the server's definition already starts with its kind."""
    execute(
        pg_db_url,
        "CREATE TABLE p (id integer PRIMARY KEY);"
        "CREATE TABLE t (id integer, v integer, CONSTRAINT t_w CHECK (v < 100));",
    )
    write_schema(
        tmp_path / "schemas",
        {
            "001.sql": "CREATE TABLE p (id integer PRIMARY KEY);\n"
            "CREATE TABLE t (id integer, v integer,\n"
            "  CONSTRAINT t_pk PRIMARY KEY (id),\n"
            "  CONSTRAINT t_v CHECK (v > 0),\n"
            "  CONSTRAINT t_u UNIQUE (v),\n"
            "  CONSTRAINT t_f FOREIGN KEY (id) REFERENCES p (id));\n"
        },
    )
    res = cli("check", "--database", pg_db_url, "--format", "json")
    assert res.exit_code == 1, (res.stdout, res.stderr)
    details = {c["name"]: c["detail"] for c in res.json()["changes"] if c["object"] == "constraint"}
    assert set(details) == {"t_pk", "t_v", "t_u", "t_f", "t_w"}, details
    expected = {
        "t_pk": "PRIMARY KEY (id)",
        "t_v": "CHECK ((v > 0))",
        "t_u": "UNIQUE (v)",
        "t_f": "FOREIGN KEY (id) REFERENCES p(id)",
        "t_w": "CHECK ((v < 100))",
    }
    for name, start in expected.items():
        assert details[name].startswith(start + ","), details[name]
