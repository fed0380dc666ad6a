"""Definitions compared after a round trip through the server (issue 15 §3,
`dbinit/postgres/reprint.py`). The CLI paths are in the case table
(`cases/dump-*.sql`); here the dev-database path and the comparison itself."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import psycopg

from dbinit.postgres.model import Constraint, Schema, Table
from dbinit.postgres.reprint import as_declared, key_constraint, key_view
from dbinit.postgres.scratch import build_desired

FILES = [
    (
        "schema.sql",
        """
CREATE TABLE edit (id integer PRIMARY KEY, status varchar(8) CHECK (status IN ('open', 'done')));
CREATE TABLE gone (id integer, at smallint);
CREATE VIEW v AS SELECT id FROM (SELECT id FROM edit UNION ALL SELECT NULL FROM gone) q;
""",
    )
]


def test_the_dev_database_path_round_trips_and_leaves_nothing(pg_db: str) -> None:
    built = build_desired(pg_db, FILES, dev_url=pg_db)

    rp = built.schema.reprinted
    assert "ANY (ARRAY[" in rp[key_constraint("edit", "edit_status_check")]
    assert key_view("v") in rp
    with psycopg.connect(pg_db, autocommit=True) as conn:
        left = conn.execute(
            "SELECT count(*) FROM pg_class WHERE relnamespace = 'public'::regnamespace"
        ).fetchone()
    assert left == (0,)


def _schema(definition: str, reprinted: dict[tuple[str, ...], Any] | None = None) -> Schema:
    con = Constraint("c", "t", "c", definition, False, False)
    return Schema(
        schema="public",
        tables={"t": Table("t", (), (con,))},
        reprinted=reprinted or {},
    )


def test_only_the_second_printing_of_the_declared_text_reads_as_declared() -> None:
    desired = _schema("CHECK (a)", {key_constraint("t", "c"): "CHECK (b)"})

    assert as_declared(desired, _schema("CHECK (b)")) == desired
    assert as_declared(desired, _schema("CHECK (a)")) == desired
    other = _schema("CHECK (x)")
    assert as_declared(desired, other) == other != desired
    # the second printing of another object's text is not this object's
    moved = replace(desired, reprinted={key_constraint("t", "d"): "CHECK (b)"})
    assert as_declared(moved, _schema("CHECK (b)")) != desired


DUMPED = (
    "CHECK (((s)::text = ANY ((ARRAY['a'::character varying, 'b'::character varying])::text[])))"
)
REPRINTED = (
    "CHECK (((s)::text = ANY (ARRAY[('a'::character varying)::text,"
    " ('b'::character varying)::text])))"
)


def test_two_printings_of_one_varchar_in_list_are_alike_and_nothing_else_is() -> None:
    from dbinit.postgres.reprint import printed_alike

    assert printed_alike(DUMPED, REPRINTED)
    assert printed_alike(REPRINTED, DUMPED)
    assert not printed_alike(DUMPED, REPRINTED.replace("'b'", "'c'"))
    assert not printed_alike(DUMPED, REPRINTED.replace("::text,", "::bpchar,", 1))
    assert not printed_alike(DUMPED, DUMPED.replace("= ANY", "<> ALL"))
    assert not printed_alike(DUMPED, "CHECK (((s)::text = ANY ((ARRAY['a', 'b'])::text[][])))")
    assert not printed_alike(DUMPED, "CHECK (")


def test_only_definitions_that_may_print_differently_are_created_again(pg_db: str) -> None:
    """The round trip costs statements for NULLs and arrays only: a schema of plain
    columns, constant defaults (`''::text` too) and column indexes sends none,
    whatever its size (the scratch build stays a fixed number of statements plus
    the files)."""
    from dbinit.postgres.reprint import _statements

    plain = "\n".join(
        f"CREATE TABLE t{i} (id integer PRIMARY KEY, n integer NOT NULL DEFAULT 0,"
        f" at timestamptz DEFAULT now(), s text DEFAULT '', CHECK (n >= 0));\n"
        f"CREATE INDEX t{i}_n ON t{i} (n);"
        for i in range(20)
    )
    built = build_desired(pg_db, [("plain.sql", plain)], dev_url=pg_db)
    assert _statements(built.schema) == []
    built = build_desired(pg_db, FILES, dev_url=pg_db)
    made = _statements(built.schema)
    assert any("edit_status_check" in s for s in made) and any("VIEW" in s for s in made)
