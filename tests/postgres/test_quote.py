"""One quoter for PostgreSQL (issue 15 §5): `dbinit.postgres.quote` writes every
identifier and literal; `printed` agrees with the server's own `quote_ident`."""

from __future__ import annotations

from typing import Any

import psycopg
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dbinit.postgres.quote import ident, literal, printed

NAMES = ["users", "User", "user", "select", "a b", 'we"ird', "x$y", "_t1", "1abc", "é", "order"]


def test_printed_agrees_with_quote_ident(pg_url: str) -> None:
    with psycopg.connect(pg_url, autocommit=True) as conn:
        for name in NAMES:
            row: Any = conn.execute("SELECT quote_ident(%s)", (name,)).fetchone()
            assert printed(name) == row[0], name


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    text=st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=20)
)
def test_ident_and_literal_read_back_exactly(pg_url: str, text: str) -> None:
    with psycopg.connect(pg_url, autocommit=True) as conn:
        row: Any = conn.execute(f"SELECT {literal(text)} AS {ident(text[:63])}".encode()).fetchone()
        assert row[0] == text
