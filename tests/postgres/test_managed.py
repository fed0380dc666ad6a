"""What PostgreSQL apps really use is managed, and nothing unmanaged blocks a
deploy (issue 15 §2, postgres.md "What is managed").

Every test drives the real CLI against a fresh database on the real server.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.conftest import write_schema
from tests.postgres.helpers import dbname_of, execute, scalar, url_of

USERS = "CREATE TABLE users (id integer PRIMARY KEY, email text NOT NULL);\n"
ROWS = "INSERT INTO users VALUES (1, 'a@x.io'), (2, 'b@x.io'), (3, 'c@x.io');\n"


@pytest.fixture
def db(pg_url: str, pg_db: str) -> str:
    """A fresh database's postgresql:// URL (the CLI's form)."""
    return url_of(pg_url, dbname_of(pg_db))


class Dbinit:
    def __init__(self, cli: Any, url: str, schemas: Path) -> None:
        self.cli, self.url, self.schemas = cli, url, schemas

    def __call__(self, *args: str) -> dict[str, Any]:
        res = self.cli(*args, "--format", "json", "-d", self.url, "-s", str(self.schemas))
        doc: dict[str, Any] = res.json()
        assert doc["exit_code"] == res.exit_code, res.stdout
        return doc

    def text(self, *args: str) -> tuple[int, str]:
        res = self.cli(*args, "--format", "text", "-d", self.url, "-s", str(self.schemas))
        return res.exit_code, res.stdout


def _dbinit(cli: Any, tmp_path: Path, url: str, sql: str) -> Dbinit:
    return Dbinit(cli, url, write_schema(tmp_path / "schemas", {"001.sql": sql}))


def _health(url: str, schemas: Path) -> int:
    from fastapi import FastAPI
    from fastapi.testclient import TestClient

    from dbinit.fastapi import health_router

    app = FastAPI()
    app.include_router(
        health_router(cache_seconds=0, database=url, schema_dir=str(schemas), retry_attempts=0)
    )
    with TestClient(app) as client:
        return client.get("/health/db").status_code


# --- unmanaged kinds never change an exit code -------------------------------------


def test_unmanaged_objects_are_listed_once_and_never_block_a_deploy(
    cli: Any, tmp_path: Path, db: str
) -> None:
    execute(
        db,
        USERS
        + ROWS
        + "CREATE TABLE audit (id integer PRIMARY KEY);\n"
        + "CREATE RULE users_no_delete AS ON DELETE TO audit DO INSTEAD NOTHING;\n"
        + "GRANT SELECT ON users TO PUBLIC;\n"
        + "CREATE STATISTICS users_stats (dependencies) ON id, email FROM users;\n",
    )
    run = _dbinit(cli, tmp_path, db, USERS + "CREATE TABLE audit (id integer PRIMARY KEY);\n")
    check = run("check")
    assert check["exit_code"] == 0, check
    unmanaged = [(c["kind"], c["name"]) for c in check["changes"]]
    assert sorted(unmanaged) == sorted(set(unmanaged)), unmanaged  # each once
    kinds = {k for k, _ in unmanaged}
    assert {"unmanaged_rule", "unmanaged_grant", "unmanaged_statistics"} <= kinds, unmanaged
    assert all(c["safety"] == "safe" and c["sql"] == [] for c in check["changes"])
    assert all(c["extra"] is False for c in check["changes"])
    code, text = run.text("check")
    assert code == 0 and "In sync" in text, text
    assert "Not managed by dbinit" in text, text
    assert "Extra objects" not in text, text

    for args in (("validate",), ("init",), ("init", "--dry-run"), ("deploy",)):
        doc = run(*args)
        assert doc["exit_code"] == 0, (args, doc)
    assert run("init")["applied"] == []
    assert _health(db, run.schemas) == 200


# --- objects that belong to an extension are the extension's -----------------------

EXTENSIONS = """
CREATE EXTENSION IF NOT EXISTS hstore;
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE EXTENSION IF NOT EXISTS pg_stat_statements;
CREATE EXTENSION IF NOT EXISTS citext;
CREATE EXTENSION IF NOT EXISTS cube;
CREATE EXTENSION IF NOT EXISTS earthdistance;
CREATE EXTENSION IF NOT EXISTS unaccent;
CREATE EXTENSION IF NOT EXISTS ltree;
CREATE TABLE places (id integer PRIMARY KEY, attrs hstore, email citext, path ltree);
CREATE INDEX places_email_trgm ON places USING gin ((email::text) gin_trgm_ops);
"""


def test_extension_objects_are_never_drift_never_listed_never_inspected(
    cli: Any, tmp_path: Path, db: str
) -> None:
    run = _dbinit(cli, tmp_path, db, EXTENSIONS)
    assert run("init")["exit_code"] == 0
    for command in ("check", "validate", "deploy"):
        doc = run(command)
        assert doc["exit_code"] == 0, doc
        assert doc.get("changes", []) == [], doc
    assert _health(db, run.schemas) == 200
    inspected = run("inspect")
    sql = "\n".join(f["sql"] for f in inspected["objects"])
    # the extensions themselves, never what they created (their functions, views, types…)
    for owned in ("pg_stat_statements_info", "hstore_to_json", "similarity", "earth_box"):
        assert owned not in sql, owned
    assert "CREATE EXTENSION IF NOT EXISTS hstore" in sql
    assert "places_email_trgm" in sql
    # inspect round-trips: its files are in sync with the database
    out = tmp_path / "inspected"
    assert run("inspect", "--output-dir", str(out))["exit_code"] == 0
    again = Dbinit(cli, db, out)("check")
    assert again["exit_code"] == 0 and again["changes"] == [], again
    assert scalar(db, "SELECT count(*) FROM places") == 0


POSTGIS = """
CREATE EXTENSION IF NOT EXISTS postgis;
CREATE TABLE shops (id integer PRIMARY KEY, geom geometry(Point, 4326));
CREATE INDEX shops_geom ON shops USING gist (geom);
"""


def test_postgis_tables_views_and_rules_are_the_extensions(
    cli: Any, tmp_path: Path, db: str
) -> None:
    """PostGIS brings a table (spatial_ref_sys, granted to PUBLIC), views and rules
    on them (geometry_columns): none of it is drift, unmanaged or inspected.
    Needs the PostGIS package (apt-get install postgresql-15-postgis-3)."""
    if not scalar(db, "SELECT count(*) FROM pg_available_extensions WHERE name = 'postgis'"):
        pytest.skip("PostGIS is not installed on this server")
    run = _dbinit(cli, tmp_path, db, POSTGIS)
    assert run("init")["exit_code"] == 0
    for command in ("check", "validate", "deploy"):
        doc = run(command)
        assert doc["exit_code"] == 0, doc
        assert doc.get("changes", []) == [], doc
    sql = "\n".join(f["sql"] for f in run("inspect")["objects"])
    for owned in ("spatial_ref_sys", "geometry_columns", "st_astext"):
        assert owned not in sql.lower(), owned


# --- dbinit's history table: nothing on it may run code inside dbinit's transaction ---

HOOKS = [
    pytest.param(
        "CREATE FUNCTION wipe() RETURNS trigger LANGUAGE plpgsql AS "
        "$$BEGIN DELETE FROM users; RETURN NEW; END$$;\n"
        "CREATE TRIGGER wipe_users AFTER INSERT ON _dbinit_history "
        "FOR EACH ROW EXECUTE FUNCTION wipe();\n",
        "wipe_users",
        id="trigger",
    ),
    pytest.param(
        "CREATE RULE wipe_users AS ON INSERT TO _dbinit_history DO ALSO DELETE FROM users;\n",
        "wipe_users",
        id="rule",
    ),
]


@pytest.mark.parametrize(("hook", "name"), HOOKS)
def test_a_trigger_or_rule_on_the_history_table_is_drift_and_init_refuses_to_record(
    cli: Any, tmp_path: Path, db: str, hook: str, name: str
) -> None:
    run = _dbinit(cli, tmp_path, db, USERS)
    assert run("init")["exit_code"] == 0  # creates users and the history table
    execute(db, ROWS + hook)
    check = run("check")
    assert check["exit_code"] == 1, check
    assert [c["name"] for c in check["changes"] if c["table"] == "_dbinit_history"] == [name]
    assert run("validate")["exit_code"] == 1
    assert run("validate", "--allow-extra")["exit_code"] == 1

    # a change to apply: init would record a run, and must refuse instead
    write_schema(run.schemas, {"002.sql": "CREATE TABLE tags (id integer PRIMARY KEY);"})
    for args in (("init",), ("init", "--dry-run"), ("repair", "--yes")):
        doc = run(*args)
        assert doc["exit_code"] == 3, (args, doc)
        assert "_dbinit_history" in doc["error"]["message"], doc
    assert scalar(db, "SELECT count(*) FROM users") == 3
    assert scalar(db, "SELECT to_regclass('tags') IS NULL") is True


# --- a constraint declared NOT VALID is satisfied, validated or not -----------------

NOT_VALID = """
CREATE TABLE users (id integer PRIMARY KEY, score integer);
CREATE TABLE posts (id integer PRIMARY KEY, user_id integer);
ALTER TABLE users ADD CONSTRAINT score_positive CHECK (score > 0) NOT VALID;
ALTER TABLE posts ADD CONSTRAINT posts_user_fk FOREIGN KEY (user_id) REFERENCES users (id)
    NOT VALID;
CREATE DOMAIN small_int AS integer;
ALTER DOMAIN small_int ADD CONSTRAINT small_int_range CHECK (VALUE < 100) NOT VALID;
"""
OLD_ROWS = """
CREATE TABLE users (id integer PRIMARY KEY, score integer);
CREATE TABLE posts (id integer PRIMARY KEY, user_id integer);
CREATE DOMAIN small_int AS integer;
INSERT INTO users VALUES (1, -5), (2, 3);
INSERT INTO posts VALUES (1, 99);
"""


def test_a_constraint_declared_not_valid_is_added_not_valid_and_never_validated(
    cli: Any, tmp_path: Path, db: str
) -> None:
    execute(db, OLD_ROWS)  # rows that break both constraints: the reason for NOT VALID
    run = _dbinit(cli, tmp_path, db, NOT_VALID)
    dry = run("init", "--dry-run")
    real = run("init")
    assert dry["exit_code"] == real["exit_code"] == 0, (dry, real)
    assert not any("VALIDATE" in s for s in real["applied"]), real["applied"]
    assert scalar(db, "SELECT count(*) FROM pg_constraint WHERE NOT convalidated") == 3
    for args in (("init",), ("check",), ("validate",), ("init", "--dry-run")):
        doc = run(*args)
        assert doc["exit_code"] == 0, (args, doc)
        assert doc["changes"] == [] and doc["applied"] == [], (args, doc)

    # validated by hand later: still satisfied, never dropped and added again
    execute(db, "DELETE FROM users WHERE score < 0; DELETE FROM posts;")
    execute(db, "ALTER TABLE users VALIDATE CONSTRAINT score_positive")
    execute(db, "ALTER TABLE posts VALIDATE CONSTRAINT posts_user_fk")
    execute(db, "ALTER DOMAIN small_int VALIDATE CONSTRAINT small_int_range")
    for args in (("check",), ("validate",), ("init",)):
        doc = run(*args)
        assert doc["exit_code"] == 0 and doc["changes"] == [], (args, doc)


def test_a_constraint_declared_valid_but_not_valid_live_is_still_drift(
    cli: Any, tmp_path: Path, db: str
) -> None:
    execute(db, OLD_ROWS.replace("(1, -5), ", "") + "DELETE FROM posts;")
    execute(db, "ALTER TABLE users ADD CONSTRAINT score_positive CHECK (score > 0) NOT VALID")
    run = _dbinit(
        cli,
        tmp_path,
        db,
        NOT_VALID.replace(" NOT VALID;", ";").replace("\n    NOT VALID;", ";"),
    )
    assert run("check")["exit_code"] == 1
    assert run("validate")["exit_code"] == 1
    assert run("init")["exit_code"] == 0
    assert scalar(db, "SELECT count(*) FROM pg_constraint WHERE NOT convalidated") == 0
    assert run("validate")["exit_code"] == 0


# --- a rename hint naming a table by its full over-63-byte name ---------------------

LONG = [
    pytest.param("customer_" + "x" * 70, id="ascii"),
    pytest.param("kund_" + "é" * 40, id="multibyte"),  # truncated between characters, not bytes
]


@pytest.mark.parametrize("old", LONG)
def test_a_rename_hint_with_the_full_long_name_matches_the_truncated_live_name(
    cli: Any, tmp_path: Path, db: str, old: str
) -> None:
    quoted = '"' + old + '"'
    execute(db, f"CREATE TABLE {quoted} (id integer PRIMARY KEY);\n")
    execute(db, f"INSERT INTO {quoted} VALUES (1), (2);")
    run = _dbinit(
        cli,
        tmp_path,
        db,
        f"-- dbinit: renamed-from={quoted}\nCREATE TABLE customers (id integer PRIMARY KEY);\n",
    )
    check = run("check")
    kinds = sorted(c["kind"] for c in check["changes"])
    assert kinds == ["table_renamed"], check["changes"]  # its primary key follows it
    assert run("repair", "--yes")["exit_code"] == 0
    assert scalar(db, "SELECT count(*) FROM customers") == 2
    assert run("check")["changes"] == []


# --- partitioned tables and partitions, row-level security and policies, UNLOGGED ---

APP = """
CREATE TABLE tenants (id integer PRIMARY KEY, name text);
ALTER TABLE tenants ENABLE ROW LEVEL SECURITY;
ALTER TABLE tenants FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_read ON tenants FOR SELECT USING (id > 0);
CREATE POLICY tenant_write ON tenants AS RESTRICTIVE FOR INSERT TO PUBLIC WITH CHECK (id < 1000);
CREATE UNLOGGED TABLE cache (k text PRIMARY KEY, v text);
CREATE TABLE events (id bigint NOT NULL, at date NOT NULL, PRIMARY KEY (id, at))
    PARTITION BY RANGE (at);
CREATE TABLE events_2024 PARTITION OF events FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
CREATE TABLE events_2025 PARTITION OF events FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');
CREATE INDEX events_at ON events (at);
"""


def _catalog_facts(db: str) -> tuple[Any, ...]:
    return (
        scalar(
            db,
            "SELECT relrowsecurity AND relforcerowsecurity FROM pg_class WHERE relname = 'tenants'",
        ),
        scalar(db, "SELECT count(*) FROM pg_policy"),
        scalar(db, "SELECT relpersistence FROM pg_class WHERE relname = 'cache'"),
        scalar(db, "SELECT count(*) FROM pg_inherits WHERE inhparent = 'events'::regclass"),
        scalar(db, "SELECT relkind FROM pg_class WHERE relname = 'events'"),
    )


def test_partitions_rls_policies_and_unlogged_are_created_checked_and_inspected(
    cli: Any, tmp_path: Path, db: str
) -> None:
    on_partition = "CREATE POLICY recent ON events_2025 FOR SELECT USING (id > 0);\n"
    run = _dbinit(cli, tmp_path, db, APP + on_partition)
    first = run("init")
    assert first["exit_code"] == 0, first
    assert _catalog_facts(db) == (True, 3, "u", 2, "p")
    for args in (("check",), ("validate",), ("init",), ("deploy",)):
        doc = run(*args)
        assert doc["exit_code"] == 0, (args, doc)
        assert doc.get("changes", []) == [], (args, doc)  # nothing unmanaged either
    execute(db, "INSERT INTO events VALUES (1, '2024-05-01'), (2, '2025-05-01')")

    # inspect round-trips: its files are in sync, and build the same schema elsewhere
    out = tmp_path / "inspected"
    assert run("inspect", "--output-dir", str(out))["exit_code"] == 0
    sql = "\n".join(p.read_text() for p in sorted(out.glob("*.sql")))
    for text in (
        "PARTITION OF",
        "PARTITION BY RANGE",
        'POLICY "recent" ON events_2025',
        "UNLOGGED",
        "FORCE ROW",
    ):
        assert text in sql, text
    again = Dbinit(cli, db, out)("check")
    assert again["exit_code"] == 0 and again["changes"] == [], again


def test_missing_rls_policy_and_partition_are_drift_that_init_applies(
    cli: Any, tmp_path: Path, db: str
) -> None:
    execute(
        db,
        "CREATE TABLE tenants (id integer PRIMARY KEY, name text);\n"
        "CREATE UNLOGGED TABLE cache (k text PRIMARY KEY, v text);\n"
        "CREATE TABLE events (id bigint NOT NULL, at date NOT NULL, PRIMARY KEY (id, at))"
        " PARTITION BY RANGE (at);\n"
        "CREATE TABLE events_2024 PARTITION OF events"
        " FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');\n"
        "CREATE INDEX events_at ON events (at);\n"
        "INSERT INTO tenants VALUES (1, 'a'); INSERT INTO events VALUES (1, '2024-02-02');\n",
    )
    run = _dbinit(cli, tmp_path, db, APP)
    check = run("check")
    assert check["exit_code"] == 1, check
    kinds = sorted((c["kind"], c["name"], c["extra"]) for c in check["changes"])
    assert kinds == [
        ("missing_partition", "events_2025", False),
        ("missing_policy", "tenant_read", False),
        ("missing_policy", "tenant_write", False),
        ("table_changed", "tenants", False),
    ], kinds
    assert run("init")["exit_code"] == 0
    assert _catalog_facts(db) == (True, 2, "u", 2, "p")
    assert run("check")["changes"] == []
    assert scalar(db, "SELECT count(*) FROM events") == 1


def test_an_undeclared_policy_or_partition_is_an_extra_and_rls_is_table_changed(
    cli: Any, tmp_path: Path, db: str
) -> None:
    execute(db, APP)
    execute(db, "CREATE POLICY sneaky ON tenants USING (true);")
    execute(
        db,
        "CREATE TABLE events_2026 PARTITION OF events"
        " FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');",
    )
    run = _dbinit(cli, tmp_path, db, APP)
    check = run("check")
    assert check["exit_code"] == 0, check
    kinds = sorted((c["kind"], c["name"], c["extra"]) for c in check["changes"])
    assert kinds == [("extra_partition", "events_2026", True), ("extra_policy", "sneaky", True)]
    assert run("validate")["exit_code"] == 1
    assert run("validate", "--allow-extra")["exit_code"] == 0

    execute(db, "ALTER TABLE tenants NO FORCE ROW LEVEL SECURITY")
    check = run("check")
    assert check["exit_code"] == 1
    [changed] = [c for c in check["changes"] if c["kind"] == "table_changed"]
    assert changed["name"] == "tenants" and changed["extra"] is False
    assert run("init")["exit_code"] == 0
    assert run("check")["exit_code"] == 0


def test_policies_and_partitions_follow_a_hinted_table_rename(
    cli: Any, tmp_path: Path, db: str
) -> None:
    old = APP.replace("tenants", "clients").replace("events", "happenings")
    execute(db, old + "INSERT INTO happenings VALUES (1, '2024-03-03');")
    new = (
        APP.replace("CREATE TABLE tenants", "-- dbinit: renamed-from=clients\nCREATE TABLE tenants")
        .replace(
            "CREATE TABLE events (", "-- dbinit: renamed-from=happenings\nCREATE TABLE events ("
        )
        .replace("events_2024", "happenings_2024")
        .replace("events_2025", "happenings_2025")
        .replace("events_at", "happenings_at")
    )
    run = _dbinit(cli, tmp_path, db, new)
    check = run("check")
    kinds = sorted(c["kind"] for c in check["changes"])
    assert kinds == ["table_renamed", "table_renamed"], check["changes"]
    assert run("repair", "--yes")["exit_code"] == 0
    assert run("check")["changes"] == []
    assert scalar(db, "SELECT count(*) FROM events") == 1


def test_a_table_where_the_files_declare_a_partition_is_refused_not_replaced(
    cli: Any, tmp_path: Path, db: str
) -> None:
    execute(db, APP.replace("events_2025 PARTITION OF events", "events_2025_x PARTITION OF events"))
    execute(db, "CREATE TABLE events_2025 (id bigint); INSERT INTO events_2025 VALUES (7);")
    run = _dbinit(cli, tmp_path, db, APP)
    doc = run("init")
    assert doc["exit_code"] == 3, doc
    assert "a partition" in doc["error"]["message"], doc
    assert scalar(db, "SELECT count(*) FROM events_2025") == 1


def test_the_history_guard_holds_under_the_lock_when_the_plan_missed_it(
    cli: Any, tmp_path: Path, db: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A trigger created between the plan and the write: the check right before
    the history INSERT refuses, and the whole transaction rolls back."""
    import dbinit.postgres.planner as pg_plan

    run = _dbinit(cli, tmp_path, db, USERS)
    assert run("init")["exit_code"] == 0
    execute(db, ROWS + str(HOOKS[0].values[0]))
    monkeypatch.setattr(pg_plan, "_hooks_refusal", lambda hooks: "")
    write_schema(run.schemas, {"002.sql": "CREATE TABLE tags (id integer PRIMARY KEY);"})
    doc = run("init")
    assert doc["exit_code"] == 3, doc
    assert "wipe_users" in doc["error"]["message"], doc
    assert scalar(db, "SELECT count(*) FROM users") == 3
    assert scalar(db, "SELECT to_regclass('tags') IS NULL") is True
