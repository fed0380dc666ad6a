"""The introspector on the real server: a fixed number of catalog queries,
exclusions, unmanaged objects, invalid indexes and NOT VALID constraints."""

from __future__ import annotations

from typing import Any

import psycopg
import pytest

from dbinit.postgres.introspect import QUERY_COUNT, introspect
from dbinit.postgres.model import CompositeType, TypeAttribute, Unmanaged


class CountingCursor(psycopg.Cursor[Any]):
    """Counts every statement sent through a cursor of the connection."""

    sent: list[str]

    def execute(self, query: Any, params: Any = None, **kw: Any) -> Any:
        self.connection.sent.append(str(query))  # type: ignore[attr-defined]
        return super().execute(query, params, **kw)


def counted(conn: psycopg.Connection[Any]) -> list[str]:
    conn.sent = []  # type: ignore[attr-defined]
    conn.cursor_factory = CountingCursor
    return conn.sent  # type: ignore[attr-defined,no-any-return]


def make_tables(conn: psycopg.Connection[Any], n: int) -> None:
    parts = []
    for i in range(n):
        parts.append(
            f"CREATE TABLE t{i} (id serial PRIMARY KEY, name text NOT NULL UNIQUE,"
            f" parent int REFERENCES t{max(i - 1, 0)} (id), CHECK (length(name) > 0));"
            f" CREATE INDEX t{i}_name ON t{i} (lower(name));"
            f" CREATE VIEW v{i} AS SELECT id FROM t{i};"
            f" COMMENT ON TABLE t{i} IS 'table {i}';"
        )
    conn.execute("".join(parts))


@pytest.mark.parametrize("tables", [10, 200])
def test_introspection_sends_a_fixed_number_of_queries(
    pg_conn: psycopg.Connection[Any], tables: int
) -> None:
    make_tables(pg_conn, tables)
    sent = counted(pg_conn)
    model = introspect(pg_conn, "public")
    assert len(model.tables) == tables and len(model.indexes) == tables
    assert len(model.views) == tables and len(model.comments) == tables
    # one per object kind (policies: the 13th; collations and text search: the 14th),
    # dependencies
    assert len(sent) == QUERY_COUNT == 17


def test_a_missing_schema_reads_as_empty(pg_conn: psycopg.Connection[Any]) -> None:
    sent = counted(pg_conn)
    model = introspect(pg_conn, "nowhere")
    assert model.is_empty() and len(sent) == 1


def test_dbinit_objects_and_extension_members_are_left_out(
    pg_conn: psycopg.Connection[Any],
) -> None:
    pg_conn.execute(
        "CREATE EXTENSION hstore;"
        "CREATE TABLE _dbinit_history (id serial PRIMARY KEY, at timestamptz);"
        "CREATE INDEX _dbinit_history_at ON _dbinit_history (at);"
        "CREATE TABLE t (a int);"
        "CREATE INDEX _dbinit_tmp_t_a ON t (a);"
    )
    model = introspect(pg_conn, "public")
    assert set(model.tables) == {"t"}
    assert set(model.indexes) == set()
    assert set(model.sequences) == set()  # _dbinit_history_id_seq is dbinit's
    assert [i.name for i in model.leftovers] == ["_dbinit_tmp_t_a"]
    assert set(model.extensions) == {"hstore"}
    assert model.functions == {} and model.types == {}  # hstore's own are not listed


def test_objects_outside_the_managed_kinds_are_listed_as_unmanaged(
    pg_conn: psycopg.Connection[Any],
) -> None:
    pg_conn.execute(
        "CREATE TABLE t (a int);"
        "ALTER TABLE t ENABLE ROW LEVEL SECURITY;"
        "CREATE POLICY only_positive ON t USING (a > 0);"
        "GRANT SELECT ON t TO PUBLIC;"
        "CREATE TABLE m (at date, v int) PARTITION BY RANGE (at);"
        "CREATE TABLE m_2024 PARTITION OF m FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');"
        "CREATE PUBLICATION pub_t FOR TABLE t;"
        "CREATE TYPE pair AS (x int, y int);"
        "CREATE AGGREGATE my_sum(int) (SFUNC = int4pl, STYPE = int);"
        "CREATE AGGREGATE my_pct(float8 ORDER BY float8) (SFUNC = ordered_set_transition,"
        " STYPE = internal, FINALFUNC = percentile_disc_final, FINALFUNC_EXTRA);"
    )
    model = introspect(pg_conn, "public")
    # row-level security, policies, partitioned tables and partitions are managed
    assert set(model.tables) == {"t", "m"}
    assert model.tables["t"].row_security and not model.tables["t"].force_row_security
    assert model.tables["m"].partition_key == "RANGE (at)"
    assert set(model.policies) == {("t", "only_positive")}
    assert [(p.name, p.parent) for p in model.partitions.values()] == [("m_2024", "m")]
    # a composite type is managed with the types
    pair = model.types["pair"]
    assert isinstance(pair, CompositeType)
    assert pair.attributes == (
        TypeAttribute("x", "integer", None),
        TypeAttribute("y", "integer", None),
    )
    # aggregates are managed (with the functions), ordered-set ones too (issue 15 §4:
    # one was listed as not managed and never created)
    assert model.functions["my_sum(integer)"].kind == "aggregate"
    assert model.functions["my_sum(integer)"].definition == (
        "CREATE OR REPLACE AGGREGATE my_sum(integer) (SFUNC = int4pl, STYPE = integer)"
    )
    pct = model.functions["my_pct(double precision ORDER BY double precision)"]
    assert pct.kind == "aggregate"
    assert pct.definition == (
        "CREATE OR REPLACE AGGREGATE my_pct(double precision ORDER BY double precision) "
        "(SFUNC = ordered_set_transition, STYPE = internal, FINALFUNC = percentile_disc_final, "
        "FINALFUNC_EXTRA, FINALFUNC_MODIFY = READ_WRITE, MFINALFUNC_MODIFY = READ_WRITE)"
    )
    assert set(model.unmanaged) == {
        Unmanaged("grant", "t", "privileges granted"),
        Unmanaged("publication", "pub_t", ""),
    }


def test_invalid_indexes_and_not_valid_constraints_are_found(
    pg_conn: psycopg.Connection[Any],
) -> None:
    pg_conn.execute("CREATE TABLE t (a int); INSERT INTO t VALUES (1), (1), (-1);")
    with pytest.raises(psycopg.errors.UniqueViolation):
        pg_conn.execute("CREATE UNIQUE INDEX CONCURRENTLY t_a ON t (a)")
    pg_conn.execute("ALTER TABLE t ADD CONSTRAINT t_a_positive CHECK (a > 0) NOT VALID")
    model = introspect(pg_conn, "public")
    assert [i.name for i in model.invalid_indexes] == ["t_a"]
    assert [c.name for c in model.not_valid_constraints] == ["t_a_positive"]

    # The definition is the constraint's, whether validated yet or not.
    pg_conn.execute("DELETE FROM t; DROP INDEX t_a; CREATE UNIQUE INDEX t_a ON t (a);")
    pg_conn.execute("ALTER TABLE t VALIDATE CONSTRAINT t_a_positive")
    after = introspect(pg_conn, "public")
    assert after.invalid_indexes == () and after.not_valid_constraints == ()
    assert after == model
    assert after.tables["t"].constraint("t_a_positive").definition == "CHECK ((a > 0))"
