"""The statement splitter and statement heads (no server needed)."""

from __future__ import annotations

import pytest

from dbinit.errors import SchemaError
from dbinit.postgres.sqlsplit import head, split


def test_split_respects_quotes_dollar_quotes_and_comments() -> None:
    text = (
        "-- leading comment; with a semicolon\n"
        "CREATE TABLE a (x text DEFAULT 'a;b''c');\n"
        "/* block ; /* nested ; */ still comment; */\n"
        "CREATE FUNCTION f() RETURNS int LANGUAGE plpgsql AS $body$\n"
        "BEGIN\n  RETURN 1; -- ;\nEND;\n$body$;\n"
        "CREATE TABLE \"odd;name\" (y text DEFAULT E'it\\'s;');\n"
        "CREATE VIEW v AS SELECT $$;$$ AS s\n"
    )
    sts = split("f.sql", text)
    assert [s.line for s in sts] == [2, 4, 9, 10]
    assert sts[0].sql == "CREATE TABLE a (x text DEFAULT 'a;b''c')"
    assert sts[1].sql.endswith("$body$")
    assert head(sts[2]).name == "odd;name"
    assert sts[3].sql == "CREATE VIEW v AS SELECT $$;$$ AS s"


def test_split_keeps_begin_atomic_bodies_whole_as_psql_does() -> None:
    text = (
        "CREATE FUNCTION g(a int) RETURNS int LANGUAGE sql\n"
        "BEGIN ATOMIC\n  SELECT CASE WHEN a > 0 THEN 1 ELSE 0 END;\n  SELECT 2;\nEND;\n"
        'CREATE TABLE t (begin_at int, "end" int);\n'
    )
    sts = split("f.sql", text)
    assert len(sts) == 2
    assert sts[0].sql.endswith("END")
    assert sts[1].line == 6


def test_line_at_maps_a_character_position_to_its_line() -> None:
    (st,) = split("f.sql", "\n\nCREATE TABLE t (\n  a int,\n  b nope\n)")
    assert st.line == 3
    assert st.line_at(st.sql.index("nope") + 1) == 5
    assert st.line_at(0) == 3


@pytest.mark.parametrize(
    ("sql", "kind", "name", "qualifier"),
    [
        ("CREATE TABLE IF NOT EXISTS Users (a int)", "table", "users", None),
        ('CREATE TABLE app."Users" (a int)', "table", "Users", "app"),
        ("create unique index ix on t (a)", "index", "ix", None),
        ("CREATE INDEX ON t (a)", "index", None, None),
        ("CREATE OR REPLACE VIEW v AS SELECT 1", "view", "v", None),
        ("CREATE MATERIALIZED VIEW m AS SELECT 1", "materialized_view", "m", None),
        (
            "CREATE OR REPLACE FUNCTION public.f() RETURNS int AS 'select 1' LANGUAGE sql",
            "function",
            "f",
            "public",
        ),
        (
            "CREATE CONSTRAINT TRIGGER tr AFTER INSERT ON t FOR EACH ROW EXECUTE FUNCTION f()",
            "trigger",
            "tr",
            None,
        ),
        ("CREATE DOMAIN d AS int", "type", "d", None),
        ("CREATE EXTENSION IF NOT EXISTS citext", "extension", "citext", None),
        ("CREATE UNLOGGED TABLE cache (k text)", "table", "cache", None),
        ("CREATE POLICY p ON t USING (true)", "policy", "p", None),
    ],
)
def test_head_names_what_a_statement_creates(
    sql: str, kind: str, name: str | None, qualifier: str | None
) -> None:
    (st,) = split("f.sql", sql)
    h = head(st)
    assert (h.verb, h.kind, h.name, h.qualifier) == ("create", kind, name, qualifier)


@pytest.mark.parametrize(
    "sql",
    [
        "INSERT INTO t VALUES (1)",
        "DROP TABLE t",
        "CREATE SCHEMA s CREATE TABLE t (a int)",
        "SET search_path = x",
        "BEGIN",
        "CREATE TEMP TABLE t (a int)",
        "CREATE TABLE t AS SELECT 1",
        "SELECT 1 INTO t",
        "DO $$ BEGIN END $$",
        "COPY t TO PROGRAM 'true'",
        "CREATE ROLE r LOGIN",
        "ALTER ROLE r SUPERUSER",
        "ALTER DATABASE d SET default_transaction_read_only = on",
        "ALTER SYSTEM SET work_mem = '1GB'",
        "ALTER TABLE t OWNER TO r, ADD COLUMN b int",
        "COMMENT ON DATABASE d IS 'x'",
        "RESET ALL",
        "SELECT pg_catalog.set_config('search_path', 'x', false)",
        "CALL p()",
        "CREATE RULE r AS ON INSERT TO t DO NOTHING",
    ],
)
def test_other_statements_are_schema_errors_naming_file_and_line(sql: str) -> None:
    (st,) = split("dir/f.sql", "\n" + sql)
    with pytest.raises(SchemaError, match=r"^dir/f\.sql:2: statement not allowed"):
        head(st)


def test_owners_and_privileges_pg_dump_writes_are_accepted_and_left_out() -> None:
    """Not managed (postgres.md "What is managed"): never refused, never run."""
    text = (
        "ALTER TABLE public.t OWNER TO app;\n"
        "ALTER FUNCTION public.f(integer) OWNER TO app;\n"
        "ALTER SCHEMA app OWNER TO app;\n"
        "GRANT SELECT ON TABLE public.t TO reader;\n"
        "REVOKE ALL ON FUNCTION public.f(integer) FROM PUBLIC;\n"
        "ALTER DEFAULT PRIVILEGES FOR ROLE app GRANT SELECT ON TABLES TO reader;\n"
        "CREATE TABLE u (a int);\n"
    )
    assert [st.node for st in split("f.sql", text)] == ["CreateStmt"]


def test_a_bare_create_schema_pg_dump_writes_is_accepted_and_left_out() -> None:
    """Schemas are not managed: the managed one is DBINIT_PG_SCHEMA, and the schema
    an extension is declared in is created with it. One holding objects (`CREATE
    SCHEMA s CREATE TABLE …`) is still refused."""
    text = "CREATE SCHEMA ext;\nCREATE SCHEMA IF NOT EXISTS app AUTHORIZATION app;\n"
    text += "CREATE EXTENSION citext WITH SCHEMA ext;\n"
    assert [st.node for st in split("f.sql", text)] == ["CreateExtensionStmt"]


def test_a_comment_ends_at_a_carriage_return_as_in_postgresql() -> None:
    sts = split("f.sql", "CREATE TABLE t (a int) --\r; COMMIT; CREATE ROLE x LOGIN;")
    assert [s.node for s in sts] == ["CreateStmt", "TransactionStmt", "CreateRoleStmt"]
    with pytest.raises(SchemaError, match=r"^f\.sql:1: statement not allowed.*transaction"):
        head(sts[1])


def test_the_word_begin_is_a_value_not_a_block() -> None:
    sts = split(
        "f.sql",
        "CREATE FUNCTION f() RETURNS int LANGUAGE sql SET search_path = begin AS 'SELECT 1';\n"
        "COMMIT;\nALTER DATABASE app SET default_transaction_read_only = on;",
    )
    assert [(s.line, s.node) for s in sts] == [
        (1, "CreateFunctionStmt"),
        (2, "TransactionStmt"),
        (3, "AlterDatabaseSetStmt"),
    ]


@pytest.mark.parametrize(
    ("sql", "found"),
    [
        (
            "CREATE TABLE p1 PARTITION OF p FOR VALUES FROM ('2026-01-01') "
            "TO ('2026-01-01'::date + 1)",
            "a partition bound must be a constant .*; found an operator expression",
        ),
        (
            "CREATE TABLE p1 PARTITION OF p FOR VALUES FROM (now()) TO (MAXVALUE)",
            "a partition bound must be a constant .*; found a function call",
        ),
        (
            "ALTER TABLE t ADD COLUMN b int DEFAULT (SELECT max(a) FROM t)",
            "the DEFAULT of an added column must be a constant .*; found a subquery",
        ),
    ],
)
def test_a_bound_or_added_default_that_is_not_a_constant_is_named_in_words(
    sql: str, found: str
) -> None:
    """The refusal says what it found in words, not libpg_query's node names."""
    (st,) = split("f.sql", sql)
    with pytest.raises(SchemaError, match=rf"^f\.sql:1: {found}$"):
        head(st)


@pytest.mark.parametrize(
    ("sql", "message"),
    [
        ("CREATE TABLE p OF point2", r"typed tables \(CREATE TABLE … OF point2\) are not managed"),
        ("ALTER TABLE p OF point2", r"typed tables \(ALTER TABLE … OF point2\) are not managed"),
        ("ALTER TABLE p NOT OF", r"typed tables \(ALTER TABLE … NOT OF\) are not managed"),
        ("CREATE TEMP VIEW v AS SELECT 1", r"statement not allowed .*: CREATE TEMP VIEW"),
        (
            "ALTER SEQUENCE s RESTART WITH 100",
            r"ALTER SEQUENCE … RESTART: a sequence's current value is state",
        ),
        (
            "ALTER TABLE t DISABLE TRIGGER ALL",
            r"ALTER TABLE … DISABLE TRIGGER ALL also disables the triggers that enforce foreign keys",
        ),
        ("CREATE TYPE b (INPUT = b_in, OUTPUT = b_out)", r"base types .* are not managed"),
        ("CREATE TYPE b", r"shell types .* are not managed"),
        (
            "CREATE FUNCTION w() RETURNS int WINDOW LANGUAGE internal AS 'window_rank'",
            r"window functions .* are not managed",
        ),
    ],
)
def test_declarations_dbinit_would_not_apply_are_refused(sql: str, message: str) -> None:
    """Issue 15 §4: accepted, then never introspected, compared or applied, while
    `check` said in sync. Each is refused with its file:line instead."""
    (st,) = split("dir/f.sql", "\n" + sql)
    with pytest.raises(SchemaError, match=r"^dir/f\.sql:2: " + message):
        head(st)
