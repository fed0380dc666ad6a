"""Declarations the files accepted and dbinit never applied (issue 15 §4): column
statistics targets, attribute options, storage and compression (of tables and
materialized views and partitions), CLUSTER ON, a partition's own options and
row-level security, an expression index's statistics target, a view column's
DEFAULT, range types, comments on collations and text search. `check` sees them, `init` applies
them, `inspect` prints them back, and a `pg_dump --schema-only` of an app that uses
them is schema files in sync with that app's database.

The oracles are the server's catalogs and `pg_dump`, never dbinit's introspection.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import psycopg
import pytest

from dbinit.postgres.export import export
from dbinit.postgres.introspect import introspect
from dbinit.postgres.scratch import build_desired
from tests.conftest import write_schema
from tests.postgres.conftest import create_database, drop_database
from tests.postgres.helpers import dbname_of, execute, scalar, url_of

APP = """
CREATE COLLATION ci (provider = icu, locale = 'und-u-ks-level2', deterministic = false);
CREATE TEXT SEARCH DICTIONARY stem (TEMPLATE = snowball, language = 'english');
CREATE TEXT SEARCH CONFIGURATION search (COPY = pg_catalog.english);
COMMENT ON COLLATION ci IS 'case-insensitive';
COMMENT ON TEXT SEARCH DICTIONARY stem IS 'stems';
COMMENT ON TEXT SEARCH CONFIGURATION search IS 'the search';
CREATE TYPE floatrange AS RANGE (subtype = float8, subtype_diff = float8mi);
CREATE TABLE events (
    id integer PRIMARY KEY,
    kind text COMPRESSION lz4,
    body text,
    tenant integer,
    during floatrange,
    at date
);
ALTER TABLE events ALTER COLUMN kind SET STATISTICS 1000;
ALTER TABLE events ALTER COLUMN tenant SET (n_distinct = 40);
ALTER TABLE events ALTER COLUMN body SET STORAGE EXTERNAL;
CREATE INDEX events_at ON events (at);
ALTER TABLE events CLUSTER ON events_at;
CREATE INDEX events_lower ON events (lower(body));
ALTER INDEX events_lower ALTER COLUMN 1 SET STATISTICS 400;
CREATE TABLE users (id integer PRIMARY KEY, email text COLLATE ci);
ALTER TABLE users CLUSTER ON users_pkey;
CREATE VIEW user_emails AS SELECT id, email FROM users;
ALTER VIEW user_emails ALTER COLUMN email SET DEFAULT 'nobody@example.org';
CREATE MATERIALIZED VIEW kinds AS SELECT kind, count(*) AS n FROM events GROUP BY kind;
CREATE UNIQUE INDEX kinds_kind ON kinds (kind);
ALTER MATERIALIZED VIEW kinds ALTER COLUMN n SET STATISTICS 20;
ALTER MATERIALIZED VIEW kinds CLUSTER ON kinds_kind;
CREATE TABLE visits (id integer NOT NULL, at date NOT NULL, page text) PARTITION BY RANGE (at);
CREATE INDEX visits_at ON visits (at);
CREATE TABLE visits_2024 PARTITION OF visits FOR VALUES FROM ('2024-01-01') TO ('2025-01-01')
    WITH (fillfactor = 90);
ALTER TABLE visits_2024 ENABLE ROW LEVEL SECURITY;
ALTER TABLE visits_2024 ALTER COLUMN page SET STATISTICS 700;
ALTER TABLE visits_2024 CLUSTER ON visits_2024_at_idx;
"""

# The catalog facts the declarations above set, read straight from pg_catalog.
FACTS = """
SELECT (SELECT attstattarget FROM pg_attribute WHERE attrelid = 'events'::regclass
          AND attname = 'kind'),
       (SELECT 'n_distinct=40' = ANY(attoptions) FROM pg_attribute
         WHERE attrelid = 'events'::regclass AND attname = 'tenant'),
       (SELECT attstorage::text FROM pg_attribute WHERE attrelid = 'events'::regclass
          AND attname = 'body'),
       (SELECT attcompression::text FROM pg_attribute WHERE attrelid = 'events'::regclass
          AND attname = 'kind'),
       (SELECT string_agg(c.relname, ',' ORDER BY c.relname) FROM pg_index i
          JOIN pg_class c ON c.oid = i.indexrelid WHERE i.indisclustered),
       (SELECT rngsubdiff::text FROM pg_range WHERE rngtypid = 'floatrange'::regtype),
       obj_description('ci'::regcollation, 'pg_collation'),
       obj_description('stem'::regdictionary, 'pg_ts_dict'),
       obj_description('search'::regconfig, 'pg_ts_config'),
       (SELECT attstattarget FROM pg_attribute WHERE attrelid = 'events_lower'::regclass),
       (SELECT pg_get_expr(adbin, adrelid) FROM pg_attrdef
         WHERE adrelid = 'user_emails'::regclass),
       (SELECT attstattarget FROM pg_attribute WHERE attrelid = 'kinds'::regclass
          AND attname = 'n'),
       (SELECT array_to_string(reloptions, ',') || ',' || relrowsecurity FROM pg_class
         WHERE oid = 'visits_2024'::regclass),
       (SELECT attstattarget FROM pg_attribute WHERE attrelid = 'visits_2024'::regclass
          AND attname = 'page')
"""
WANT = (
    1000,
    True,
    "e",
    "l",
    "events_at,kinds_kind,users_pkey,visits_2024_at_idx",
    "float8mi",
    "case-insensitive",
    "stems",
    "the search",
    400,
    "'nobody@example.org'::text",
    20,
    "fillfactor=90,true",
    700,
)


@pytest.fixture
def db(pg_url: str, pg_db: str) -> str:
    return url_of(pg_url, dbname_of(pg_db))


def facts(url: str) -> tuple[Any, ...]:
    with psycopg.connect(url, autocommit=True) as conn:
        row = conn.execute(FACTS.encode()).fetchone()
    assert row is not None
    return tuple(row)


def run(cli: Any, url: str, schemas: Path, *args: str) -> dict[str, Any]:
    res = cli(*args, "--format", "json", "-d", url, "-s", str(schemas))
    assert "Traceback" not in res.stderr, res.stderr[-3000:]
    doc: dict[str, Any] = res.json()
    assert doc["exit_code"] == res.exit_code, res.stdout
    return doc


def test_check_sees_a_statistics_target_the_database_lacks_and_init_sets_it(
    cli: Any, tmp_path: Path, db: str
) -> None:
    """The files say SET STATISTICS 500, the live column has the default: check
    exits 1 (it said in sync), init applies it, check 0 after, a second init
    applies nothing."""
    execute(db, "CREATE TABLE events (id integer PRIMARY KEY, kind text);")
    schemas = write_schema(
        tmp_path / "schemas",
        {
            "001.sql": "CREATE TABLE events (id integer PRIMARY KEY, kind text);\n"
            "ALTER TABLE ONLY events ALTER COLUMN kind SET STATISTICS 500;\n"
        },
    )
    check = run(cli, db, schemas, "check")
    assert check["exit_code"] == 1, check
    [change] = check["changes"]
    assert (change["kind"], change["name"], change["table"], change["safety"]) == (
        "column_changed",
        "kind",
        "events",
        "safe",
    )
    assert "statistics target default → 500" in change["detail"]
    assert change["hazards"] == [
        {"type": "lock", "detail": "SHARE UPDATE EXCLUSIVE lock on events, held briefly"}
    ]
    assert change["sql"] == [
        'ALTER TABLE ONLY "public"."events" ALTER COLUMN "kind" SET STATISTICS 500'
    ]

    first = run(cli, db, schemas, "init")
    assert first["exit_code"] == 0 and first["applied"], first
    stat = "SELECT attstattarget FROM pg_attribute WHERE attrelid = 'events'::regclass"
    assert scalar(db, f"{stat} AND attname = 'kind'") == 500
    assert run(cli, db, schemas, "check")["exit_code"] == 0
    again = run(cli, db, schemas, "init")
    assert (again["exit_code"], again["applied"]) == (0, [])

    # and back: the files drop the declaration, the live target is drift again
    execute(db, "ALTER TABLE events ALTER COLUMN kind SET STATISTICS 50")
    assert run(cli, db, schemas, "check")["exit_code"] == 1
    assert run(cli, db, schemas, "init")["exit_code"] == 0
    assert scalar(db, f"{stat} AND attname = 'kind'") == 500


def test_a_live_setting_the_files_do_not_declare_is_drift_and_init_resets_it(
    cli: Any, tmp_path: Path, db: str
) -> None:
    execute(db, APP)
    plain = (
        APP.replace("ALTER TABLE events ALTER COLUMN kind SET STATISTICS 1000;\n", "")
        .replace("ALTER TABLE events CLUSTER ON events_at;\n", "")
        .replace(" COMPRESSION lz4", "")
        .replace("ALTER MATERIALIZED VIEW kinds ALTER COLUMN n SET STATISTICS 20;\n", "")
    )
    schemas = write_schema(tmp_path / "schemas", {"001.sql": plain})
    check = run(cli, db, schemas, "check")
    assert check["exit_code"] == 1
    details = sorted(c["detail"].split(" (declared")[0] for c in check["changes"])
    assert details == [
        "clustered on events_at → no index",
        "settings of column n: SET STATISTICS -1",
        "statistics target 1000 → default; compression lz4 → default",
    ], details
    [kinds] = [c for c in check["changes"] if c["name"] == "kinds"]
    assert kinds["sql"] == [
        'ALTER MATERIALIZED VIEW "public"."kinds" ALTER COLUMN "n" SET STATISTICS -1'
    ]  # in place: the materialized view is not built again
    assert run(cli, db, schemas, "init")["exit_code"] == 0
    assert facts(db)[0] == -1 and facts(db)[3] == ""
    assert facts(db)[4] == "kinds_kind,users_pkey,visits_2024_at_idx"
    assert run(cli, db, schemas, "check")["exit_code"] == 0


@pytest.mark.skipif(shutil.which("pg_dump") is None, reason="no pg_dump")
def test_a_pg_dump_of_an_app_using_them_is_schema_files_in_sync(
    cli: Any, tmp_path: Path, db: str, pg_url: str, pg_admin: psycopg.Connection[Any]
) -> None:
    """pg_dump writes these as ALTER TABLE ONLY … SET STATISTICS / SET (…) / SET
    STORAGE, ALTER TABLE … CLUSTER ON, CREATE TYPE … AS RANGE, COMMENT ON
    COLLATION …: its output checks 0 against the app's database, and builds the
    same on an empty one."""
    execute(db, APP)
    assert facts(db) == WANT
    dump = pg_dump(db)
    for form in (
        "ALTER TABLE ONLY public.events ALTER COLUMN kind SET STATISTICS 1000;",
        "ALTER TABLE ONLY public.events ALTER COLUMN tenant SET (n_distinct=40);",
        "ALTER TABLE ONLY public.events ALTER COLUMN body SET STORAGE EXTERNAL;",
        "ALTER TABLE public.events CLUSTER ON events_at;",
        "CREATE TYPE public.floatrange AS RANGE (",
        "COMMENT ON COLLATION public.ci IS 'case-insensitive';",
        "ALTER INDEX public.events_lower ALTER COLUMN 1 SET STATISTICS 400;",
        "ALTER TABLE ONLY public.user_emails ALTER COLUMN email SET DEFAULT",
        "ALTER TABLE ONLY public.kinds ALTER COLUMN n SET STATISTICS 20;",
        "ALTER TABLE public.kinds CLUSTER ON kinds_kind;",
        "ALTER TABLE ONLY public.visits_2024 ALTER COLUMN page SET STATISTICS 700;",
        "ALTER TABLE public.visits_2024 CLUSTER ON visits_2024_at_idx;",
        "ALTER TABLE public.visits_2024 ENABLE ROW LEVEL SECURITY;",
    ):
        assert form in dump, form
    schemas = write_schema(tmp_path / "schemas", {"001_dump.sql": dump})
    check = run(cli, db, schemas, "check")
    assert (check["exit_code"], check["changes"]) == (0, []), check

    fresh = create_database(pg_admin)
    try:
        target = url_of(pg_url, fresh)
        assert run(cli, target, schemas, "init")["exit_code"] == 0
        assert facts(target) == WANT
        assert run(cli, target, schemas, "check")["exit_code"] == 0
        assert pg_dump(target) == dump.replace(dbname_of(db), fresh)
    finally:
        drop_database(pg_admin, fresh)


def test_inspect_prints_them_back(pg_url: str, pg_db: str) -> None:
    """`inspect` files run through the scratch build read back equal, and set the
    same catalog facts (the model could drop them on both sides alike)."""
    with psycopg.connect(pg_db, autocommit=True) as conn:
        conn.execute(APP.encode())
        live = introspect(conn, "public")
    files = [(name, text) for name, (_, text) in export(live).items()]
    assert build_desired(pg_url, files).schema == live
    text = "\n".join(t for _, t in files)
    for form in (
        "ALTER TABLE ONLY events ALTER COLUMN kind SET STATISTICS 1000, ALTER COLUMN kind SET "
        "COMPRESSION lz4",
        "ALTER TABLE ONLY events ALTER COLUMN tenant SET (n_distinct=40)",
        "ALTER TABLE ONLY events ALTER COLUMN body SET STORAGE EXTERNAL",
        "ALTER TABLE events CLUSTER ON events_at",
        "ALTER TABLE users CLUSTER ON users_pkey",
        "CREATE TYPE floatrange AS RANGE (subtype = double precision, subtype_diff = float8mi",
        "COMMENT ON COLLATION public.ci IS 'case-insensitive'",
        "ALTER INDEX events_lower ALTER COLUMN 1 SET STATISTICS 400",
        "ALTER VIEW user_emails ALTER COLUMN email SET DEFAULT 'nobody@example.org'::text",
        "ALTER MATERIALIZED VIEW kinds ALTER COLUMN n SET STATISTICS 20",
        "ALTER MATERIALIZED VIEW kinds CLUSTER ON kinds_kind",
        "PARTITION OF visits FOR VALUES FROM ('2024-01-01') TO ('2025-01-01') WITH (fillfactor=90)",
        "ALTER TABLE ONLY visits_2024 ALTER COLUMN page SET STATISTICS 700",
        "ALTER TABLE visits_2024 CLUSTER ON visits_2024_at_idx",
    ):
        assert form in text, form


def pg_dump(url: str) -> str:
    out = subprocess.run(
        [
            "pg_dump",
            "--schema-only",
            "--no-owner",
            "--no-privileges",
            "--exclude-table=public._dbinit_*",  # dbinit's own history and state
            "--dbname",
            url,
        ],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    ).stdout
    # the \restrict KEY lines of recent versions differ from one run to the next
    return "\n".join(line for line in out.splitlines() if not line.startswith("\\"))
