"""Run every case of `tests/postgres/cases/` (format: `casetable.py`) through the
real CLI on a fresh database, against an oracle the server built directly from the
declared SQL: in a transaction that is rolled back, in one oracle database per
test process (a fresh database when the SQL cannot run in a transaction)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest

from tests.conftest import write_schema
from tests.postgres.casetable import (
    Case,
    all_cases,
    differences,
    row_counts,
    snapshot,
    snapshot_of,
)
from tests.postgres.conftest import PG_URL, _server_problem, create_database, drop_database
from tests.postgres.helpers import execute, run_json, url_of

CASES = all_cases()


@pytest.fixture
def two_databases(pg_url: str, pg_admin: psycopg.Connection[Any]) -> Any:
    made: list[str] = []

    def make() -> str:
        made.append(create_database(pg_admin, prefix="dbinit_case_"))
        return url_of(pg_url, made[-1])

    yield make
    for name in made:
        drop_database(pg_admin, name)


@pytest.fixture(scope="module")
def oracle_db() -> Iterator[str | None]:
    """One database the oracles are built in (each in a rolled-back transaction)."""
    if _server_problem():
        yield None  # the tests skip (or fail under CI) through `pg_url`
        return
    with psycopg.connect(PG_URL, autocommit=True) as admin:
        name = create_database(admin, prefix="dbinit_oracle_")
    try:
        yield url_of(PG_URL, name)
    finally:
        with psycopg.connect(PG_URL, autocommit=True) as admin:
            drop_database(admin, name)


def _oracle(sql: str, oracle_db: str | None, two_databases: Any) -> dict[str, list[Any]]:
    """The structure the server builds from `sql` on an empty database."""
    if oracle_db is not None:
        try:
            with psycopg.connect(oracle_db) as conn:
                conn.execute(sql.encode())
                got = snapshot_of(conn)
                conn.rollback()
            return got
        except psycopg.errors.ActiveSqlTransaction:
            pass  # CREATE INDEX CONCURRENTLY and the like: a database of its own
    url = two_databases()
    execute(url, sql)
    return snapshot(url)


def test_the_case_table_is_not_empty() -> None:
    assert len(CASES) >= 10
    assert len({c.name for c in CASES}) == len(CASES)


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_case(
    case: Case, cli: Any, two_databases: Any, oracle_db: str | None, tmp_path: Path
) -> None:
    target = two_databases()
    if case.current.strip():
        execute(target, case.current)
    before, counts = snapshot(target), row_counts(target)
    schemas = write_schema(tmp_path / "schemas", {"001_schema.sql": case.declared})

    code, doc, seen = run_json(cli, target, schemas, *case.command, *case.args)

    if case.expect == "refused":
        assert code == case.code, seen
        assert case.message.lower() in str(doc.get("error", doc)).lower(), seen
        assert differences(snapshot(target), before) == [], "a refusal changed the schema"
        assert row_counts(target) == counts, "a refusal changed rows"
        return

    assert code == 0, seen
    assert differences(snapshot(target), _oracle(case.expected, oracle_db, two_databases)) == [], (
        seen
    )
    after = row_counts(target)
    want = case.rows or {t: n for t, n in counts.items() if t in after}
    assert {t: after.get(t) for t in want} == want, "rows were not kept"
    for query in case.verify:
        with psycopg.connect(target, autocommit=True) as conn:
            row = conn.execute(query.encode()).fetchone()
        assert row is not None and row[0] is True, f"not true after the run: {query}"

    code, doc, seen = run_json(cli, target, schemas, "check")
    assert code == 0, seen
    code, doc, seen = run_json(cli, target, schemas, *case.command, *case.args)
    assert (code, doc.get("applied") or []) == (0, []), seen
