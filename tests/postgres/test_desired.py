"""The desired model: schema files run in a scratch database, read back with the
introspector used on the target, on the real server."""

from __future__ import annotations

from typing import Any

import psycopg
import pytest

from dbinit.errors import SchemaError
from dbinit.postgres.introspect import introspect
from dbinit.postgres.model import Domain, EnumType, SourceLoc
from dbinit.postgres.scratch import SCRATCH_PREFIX, build_desired

EVERY_KIND = """
CREATE EXTENSION IF NOT EXISTS citext;
CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy');
CREATE DOMAIN posint AS integer NOT NULL DEFAULT 1 CONSTRAINT posint_positive CHECK (VALUE > 0);
CREATE SEQUENCE counter START 10 INCREMENT 5 CACHE 2;

CREATE TABLE users (
    id bigint GENERATED ALWAYS AS IDENTITY (START WITH 100) PRIMARY KEY,
    email citext NOT NULL UNIQUE,
    name varchar(80) COLLATE "C",
    tags text[] DEFAULT '{}',
    feeling mood DEFAULT 'ok',
    score numeric(10, 2) DEFAULT 0 CHECK (score >= 0),
    visits posint,
    upper_name text GENERATED ALWAYS AS (upper(name)) STORED,
    created_at timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE users IS 'people';
COMMENT ON COLUMN users.email IS 'login';

CREATE TABLE rooms (
    id serial PRIMARY KEY,
    during tstzrange,
    EXCLUDE USING gist (during WITH &&)
);

CREATE TABLE bookings (
    id int PRIMARY KEY,
    user_email citext REFERENCES users (email) ON DELETE CASCADE ON UPDATE SET NULL
        DEFERRABLE INITIALLY DEFERRED,
    room_id int,
    note text,
    CONSTRAINT bookings_room_fk FOREIGN KEY (room_id) REFERENCES rooms (id) MATCH FULL
);
CREATE INDEX bookings_note_lower ON bookings (lower(note) DESC NULLS LAST)
    INCLUDE (room_id) WHERE note IS NOT NULL;
CREATE INDEX bookings_note_hash ON bookings USING hash (note);

CREATE VIEW recent AS SELECT id, email FROM users WHERE created_at > now() - interval '1 day';
CREATE MATERIALIZED VIEW user_count AS SELECT count(*) AS n FROM users;
CREATE UNIQUE INDEX user_count_n ON user_count (n);

CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.note := coalesce(NEW.note, 'none');
    RETURN NEW;
END;
$$;
CREATE PROCEDURE noop(a int) LANGUAGE sql BEGIN ATOMIC SELECT a; END;
CREATE TRIGGER bookings_touch BEFORE INSERT ON bookings FOR EACH ROW EXECUTE FUNCTION touch();
"""


def desired(pg_url: str, files: dict[str, str], **kw: Any) -> Any:
    return build_desired(pg_url, list(files.items()), **kw)


def scratch_databases(admin: psycopg.Connection[Any]) -> set[str]:
    rows = admin.execute(
        "SELECT datname FROM pg_database WHERE datname LIKE %s", (SCRATCH_PREFIX + "%",)
    ).fetchall()
    return {r[0] for r in rows}


def no_scratch_left(admin: psycopg.Connection[Any], before: set[str]) -> bool:
    """No scratch database beyond those there before the run. Another run on the
    same server (a developer's parallel tests) may hold one for a moment: wait
    for it to end (a hang guard, not a time assertion)."""
    import time

    give_up = time.monotonic() + 60
    while not scratch_databases(admin) <= before and time.monotonic() < give_up:
        time.sleep(0.2)
    return scratch_databases(admin) <= before


def test_two_spellings_of_one_definition_are_equal(pg_url: str) -> None:
    a = desired(
        pg_url,
        {
            "a.sql": """
            CREATE TABLE t (
                a varchar(10) DEFAULT 'x',
                b int NOT NULL DEFAULT 0,
                c numeric(10,2)[],
                d timestamptz DEFAULT now(),
                e bool DEFAULT true,
                CONSTRAINT t_b_check CHECK (b > 0)
            );
            CREATE INDEX t_ab ON t (a, b);
            """
        },
    )
    b = desired(
        pg_url,
        {
            "b.sql": """
            create table public.T (
                A character varying(10) default 'x'::character varying,
                B integer not null default (0),
                C NUMERIC(10, 2) ARRAY,
                D timestamp with time zone default pg_catalog.NOW(),
                e boolean default 't',
                check ((b > 0))
            );
            create index T_AB on t using btree (a asc, b);
            """
        },
    )
    assert a.schema == b.schema
    assert a.schema.tables["t"].column("a").type == "character varying(10)"
    # provenance differs and is not compared
    assert a.schema.tables["t"].loc == SourceLoc("a.sql", 2)
    assert b.schema.tables["t"].loc == SourceLoc("b.sql", 2)


def test_a_different_definition_is_not_equal(pg_url: str) -> None:
    a = desired(pg_url, {"a.sql": "CREATE TABLE t (a varchar(10) DEFAULT 'x');"})
    b = desired(pg_url, {"a.sql": "CREATE TABLE t (a varchar(11) DEFAULT 'x');"})
    c = desired(pg_url, {"a.sql": "CREATE TABLE t (a varchar(10) DEFAULT 'y');"})
    assert a.schema != b.schema
    assert a.schema != c.schema


def test_every_managed_kind_matches_the_same_files_run_directly(
    pg_url: str, pg_conn: psycopg.Connection[Any], pg_admin: psycopg.Connection[Any]
) -> None:
    built = desired(pg_url, {"001_all.sql": EVERY_KIND})
    want = built.schema
    # This run's scratch database is gone (other runs on the server may have theirs).
    assert built.scratch.split()[-1] not in scratch_databases(pg_admin)
    pg_conn.execute(EVERY_KIND)
    live = introspect(pg_conn, "public")
    assert live == want

    users = want.tables["users"]
    assert users.loc == SourceLoc("001_all.sql", 7)
    ident = users.column("id")
    assert ident is not None and ident.identity == "ALWAYS" and ident.default is None
    assert ident.identity_sequence is not None and ident.identity_sequence.start == 100
    assert users.column("name").collation == '"C"'
    assert users.column("tags").type == "text[]"
    assert users.column("upper_name").generated == "upper((name)::text)"
    assert users.column("visits").type == "posint"
    kinds = {c.name: c.type for c in users.constraints}
    assert kinds == {"users_pkey": "p", "users_email_key": "u", "users_score_check": "c"}
    fk = want.tables["bookings"].constraint("bookings_user_email_fkey")
    assert fk is not None and (fk.ref_table, fk.ref_columns) == ("users", ("email",))
    assert (fk.on_delete, fk.on_update, fk.deferrable, fk.deferred) == (
        "CASCADE",
        "SET NULL",
        True,
        True,
    )
    assert want.tables["bookings"].constraint("bookings_room_fk").match == "FULL"
    assert [c.type for c in want.tables["rooms"].constraints] == ["x", "p"]
    ix = want.indexes["bookings_note_lower"]
    assert "INCLUDE (room_id) WHERE (note IS NOT NULL)" in ix.spec
    assert "lower(note) DESC NULLS LAST" in ix.spec
    assert want.indexes["bookings_note_hash"].method == "hash"
    assert want.indexes["user_count_n"].table == "user_count"
    assert set(want.sequences) == {"counter", "rooms_id_seq"}
    assert want.sequences["rooms_id_seq"].owned_by == ("rooms", "id")
    assert want.sequences["counter"].options.increment == 5
    assert isinstance(want.types["mood"], EnumType)
    assert want.types["mood"].labels == ("sad", "ok", "happy")
    dom = want.types["posint"]
    assert isinstance(dom, Domain) and dom.notnull and dom.checks[0].name == "posint_positive"
    assert set(want.views) == {"recent"} and set(want.materialized_views) == {"user_count"}
    assert set(want.functions) == {"touch()", "noop(IN a integer)"}
    assert want.functions["noop(IN a integer)"].kind == "procedure"
    assert set(want.triggers) == {("bookings", "bookings_touch")}
    assert set(want.extensions) == {"citext"}  # its functions and types are not listed
    assert not any(k.startswith("citext") for k in want.functions)
    assert set(want.comments) == {
        ("table", "public.users"),
        ("table column", "public.users.email"),
    }
    assert want.unmanaged == ()


def test_syntax_error_in_the_middle_of_a_file_names_its_line(
    pg_url: str, pg_admin: psycopg.Connection[Any]
) -> None:
    before = scratch_databases(pg_admin)
    files = {
        "001_ok.sql": "CREATE TABLE a (id int);\n",
        "002_bad.sql": (
            "-- header\n"
            "CREATE TABLE b (id int);\n"
            "\n"
            "CREATE TABLE c (\n"
            "    id int,\n"
            "    name txet\n"
            ");\n"
            "CREATE TABLE d (id int);\n"
        ),
    }
    with pytest.raises(SchemaError) as info:
        desired(pg_url, files)
    assert info.value.message.startswith("002_bad.sql:6: ")
    assert 'type "txet" does not exist' in info.value.message
    assert info.value.exit_code == 65
    assert no_scratch_left(pg_admin, before)  # dropped after a failure too


def test_error_without_a_position_names_the_statement_start(pg_url: str) -> None:
    files = {"f.sql": "CREATE TABLE a (id int);\n\nCREATE TABLE a (\n  id int\n);\n"}
    with pytest.raises(SchemaError, match=r'^f\.sql:3: relation "a" already exists'):
        desired(pg_url, files)


def test_names_in_another_schema_are_file_errors(pg_url: str) -> None:
    with pytest.raises(SchemaError, match=r"^f\.sql:2: other\.t is outside the managed schema"):
        desired(pg_url, {"f.sql": "CREATE TABLE a (id int);\nCREATE TABLE other.t (id int);"})
    # public is not the managed schema here: referring to it fails where it is written
    with pytest.raises(SchemaError, match=r"^f\.sql:3: "):
        desired(
            pg_url,
            {"f.sql": "CREATE TABLE a (id int);\nCREATE VIEW v AS\n  SELECT * FROM public.a;"},
            schema="app",
        )


def test_a_managed_schema_other_than_public(pg_url: str) -> None:
    d = desired(
        pg_url,
        {"f.sql": "CREATE TYPE color AS ENUM ('red');\nCREATE TABLE app.t (c color);"},
        schema="app",
    )
    assert d.schema.schema == "app"
    assert d.schema.tables["t"].column("c").type == "color"


def test_concurrently_is_a_plain_index_declaration_and_reserved_names_are_refused(
    pg_url: str, pg_db: str
) -> None:
    # Issue 15: CREATE INDEX CONCURRENTLY in a file declares an index; the scratch
    # space builds it plainly (in the dev database's transaction too).
    files = {"f.sql": "CREATE TABLE t (a int);\nCREATE UNIQUE INDEX CONCURRENTLY i ON t (a);"}
    for dev in (None, pg_db):
        d = desired(pg_url, files, dev_url=dev)
        assert d.schema.indexes["i"].unique and d.schema.indexes["i"].table == "t"
    with pytest.raises(SchemaError, match=r"^f\.sql:1: the name '_dbinit_history' is reserved"):
        desired(pg_url, {"f.sql": "CREATE TABLE _dbinit_history (a int);"})


def test_dev_url_runs_in_a_rolled_back_transaction(
    pg_url: str, pg_db: str, pg_conn: psycopg.Connection[Any]
) -> None:
    d = desired(pg_url, {"f.sql": EVERY_KIND}, dev_url=pg_db)
    assert "users" in d.schema.tables and d.scratch.startswith("dev database")
    assert introspect(pg_conn, "public").is_empty()  # nothing stayed behind
    pg_conn.execute("CREATE TABLE leftover (a int)")
    with pytest.raises(Exception, match="is not empty") as info:
        desired(pg_url, {"f.sql": "CREATE TABLE t (a int);"}, dev_url=pg_db)
    assert getattr(info.value, "exit_code", None) == 78
