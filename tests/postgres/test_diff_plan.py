"""diff and make_plan on the real server: desired built from files in a scratch
database, live introspected, the plan APPLIED (transactional statements in one
transaction, then each online statement on its own), convergence checked by
diffing again and, independently, through pg_catalog."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import psycopg
import pytest

from dbinit.changes import Change, Kind, Safety
from dbinit.plan import INIT_REASON, Mode, Plan, Policy
from dbinit.postgres.compare import compare, diff
from dbinit.postgres.compare.unmanaged import is_unmanaged
from dbinit.postgres.introspect import introspect
from dbinit.postgres.model import Schema
from dbinit.postgres.planner import LOSS_REASON, PRUNE_REASON, make_plan
from dbinit.postgres.scratch import build_desired

INIT = Policy(Mode.INIT)
REPAIR = Policy(Mode.REPAIR)
PRUNE_ALL = Policy(Mode.REPAIR, allow_data_loss=True, prune=True)


@dataclass
class Db:
    url: str
    conn: psycopg.Connection[Any]

    def run(self, sql: str) -> None:
        self.conn.execute(sql)

    def one(self, sql: str, *params: Any) -> Any:
        row = self.conn.execute(sql, params).fetchone()
        return row[0] if row else None

    def all(self, sql: str, *params: Any) -> list[tuple[Any, ...]]:
        return self.conn.execute(sql, params).fetchall()

    def desired(self, sql: str) -> Schema:
        return build_desired(self.url, [("schema.sql", sql)], schema="public").schema

    def live(self) -> Schema:
        return introspect(self.conn, "public")

    def plan(self, sql: str, policy: Policy = INIT) -> tuple[list[Change], Plan, Schema]:
        want = self.desired(sql)
        found = compare(want, self.live())
        return found.changes, make_plan(found, want, policy), want

    def violations(self, plan: Plan) -> dict[str, int]:
        out = {}
        for step in plan.steps:
            for label, count, find in step.prechecks:
                out[label] = int(self.one(count))
                assert bool(self.all(find)) == (out[label] > 0), label
        return out

    def apply(self, plan: Plan) -> None:
        assert not plan.blocked, plan.blocked_reason
        assert all(v == 0 for v in self.violations(plan).values())
        with self.conn.transaction():
            for st in plan.statements:
                if not st.online:
                    self.conn.execute(st.sql)
        for st in plan.statements:
            if st.online:
                self.conn.execute(st.sql)

    def converge(self, sql: str, policy: Policy = INIT) -> tuple[list[Change], Plan]:
        changes, plan, want = self.plan(sql, policy)
        self.apply(plan)
        after = [c for c in diff(want, self.live()) if not is_unmanaged(c)]
        assert after == [], [c.to_dict() for c in after]
        return changes, plan

    def filenode(self, table: str) -> int:
        return int(self.one("SELECT pg_relation_filenode(%s::regclass)", table))


@pytest.fixture
def db(pg_db: str) -> Iterator[Db]:
    with psycopg.connect(pg_db, autocommit=True) as conn:
        conn.execute("SET search_path = public")
        yield Db(pg_db, conn)


def kinds(changes: list[Change]) -> list[str]:
    return [c.kind.value for c in changes if not is_unmanaged(c)]


def only(changes: list[Change], kind: Kind) -> Change:
    found = [c for c in changes if c.kind is kind]
    assert len(found) == 1, [c.to_dict() for c in changes]
    return found[0]


def hazard_types(c: Change) -> set[str]:
    return {h.type for h in c.hazards}


def online(plan: Plan) -> list[str]:
    return [s.sql for s in plan.statements if s.online]


def in_tx(plan: Plan) -> list[str]:
    return [s.sql for s in plan.statements if not s.online]


BASE = """
CREATE TABLE users (id int PRIMARY KEY, email text, age int);
"""


# ---------------------------------------------------------------- tables and columns


def test_a_new_table_with_foreign_keys_both_ways_is_created_in_one_transaction(db: Db) -> None:
    schema = """
    CREATE TABLE a (id int PRIMARY KEY, b_id int, name text NOT NULL DEFAULT 'x' CHECK (name <> ''));
    CREATE TABLE b (id bigint GENERATED ALWAYS AS IDENTITY (START WITH 7) PRIMARY KEY,
                    a_id int REFERENCES a (id) ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED,
                    total numeric(10, 2), doubled numeric GENERATED ALWAYS AS (total * 2) STORED,
                    code varchar(5) COLLATE "C" UNIQUE) WITH (fillfactor = 70);
    ALTER TABLE a ADD CONSTRAINT a_b_fk FOREIGN KEY (b_id) REFERENCES b (id);
    CREATE INDEX a_name ON a (lower(name)) WHERE b_id IS NOT NULL;
    """
    changes, plan = db.converge(schema)
    assert kinds(changes) == ["missing_table", "missing_table", "missing_index"]
    assert all(c.safety is Safety.SAFE and c.hazards == () for c in changes)
    assert online(plan) == []  # a table created by the plan takes plain CREATE INDEX
    assert any(s.startswith('CREATE INDEX "a_name"') for s in in_tx(plan))
    fks = db.all(
        "SELECT conname, convalidated, condeferred FROM pg_constraint WHERE contype = 'f' "
        "ORDER BY conname"
    )
    assert fks == [("a_b_fk", True, False), ("b_a_id_fkey", True, True)]
    assert db.one("SELECT reloptions FROM pg_class WHERE relname = 'b'") == ["fillfactor=70"]
    db.run("INSERT INTO b (total) VALUES (2)")
    assert db.all("SELECT id, doubled FROM b") == [(7, 4)]


def test_extra_table_and_column_need_prune_and_allow_data_loss(db: Db) -> None:
    db.run(
        "CREATE TABLE users (id int PRIMARY KEY, email text, old text); CREATE TABLE gone (x int)"
    )
    changes, plan, _ = db.plan(BASE.replace(", age int", ""), INIT)
    extra = {c.kind: c for c in changes}
    assert extra[Kind.EXTRA_TABLE].safety is Safety.DESTRUCTIVE
    assert "data_loss" in hazard_types(extra[Kind.EXTRA_TABLE])
    assert extra[Kind.EXTRA_COLUMN].column == "old"
    assert plan.is_empty() and len(plan.skipped) == 2 and not plan.blocked
    assert "kept" in plan.skipped[0].detail
    _, kept, _ = db.plan(BASE.replace(", age int", ""), REPAIR)
    assert kept.is_empty() and len(kept.skipped) == 2
    _, refused, _ = db.plan(BASE.replace(", age int", ""), Policy(Mode.REPAIR, prune=True))
    assert len(refused.blocked) == 2 and refused.blocked_reason == PRUNE_REASON
    db.converge(BASE.replace(", age int", ""), PRUNE_ALL)
    assert db.all(
        "SELECT relname FROM pg_class WHERE relnamespace = 'public'::regnamespace AND relkind = 'r'"
    ) == [("users",)]
    assert (
        db.one(
            "SELECT count(*) FROM pg_attribute WHERE attrelid = 'users'::regclass "
            "AND attname = 'old' AND NOT attisdropped"
        )
        == 0
    )


def test_add_nullable_and_constant_default_columns_without_rewrite(db: Db) -> None:
    db.run(BASE + "INSERT INTO users VALUES (1, 'a', 30)")
    node = db.filenode("users")
    changes, _ = db.converge(
        BASE.replace(
            "age int",
            "age int, nick text, active bool NOT NULL DEFAULT true, "
            "seen timestamptz NOT NULL DEFAULT now(), tags text[] DEFAULT '{}'",
        )
    )
    assert kinds(changes) == ["missing_column"] * 4
    assert all(c.safety is Safety.SAFE for c in changes)
    assert all("rewrite" not in hazard_types(c) for c in changes)
    assert all("ACCESS EXCLUSIVE lock on users" in c.hazards[0].detail for c in changes)
    assert db.filenode("users") == node  # independent oracle: not rewritten
    assert db.all("SELECT active, tags FROM users") == [(True, [])]


def test_add_column_with_a_volatile_default_or_identity_is_rebuild(db: Db) -> None:
    db.run(BASE + "INSERT INTO users VALUES (1, 'a', 30)")
    node = db.filenode("users")
    schema = BASE.replace(
        "age int", "age int, r float8 DEFAULT random(), n bigint GENERATED BY DEFAULT AS IDENTITY"
    )
    changes, plan, _ = db.plan(schema, INIT)
    assert [c.safety for c in changes] == [Safety.REBUILD, Safety.REBUILD]
    assert all({"lock", "rewrite"} <= hazard_types(c) for c in changes)
    assert plan.is_empty() and plan.blocked_reason == INIT_REASON and len(plan.blocked) == 2
    db.converge(schema, REPAIR)
    assert db.filenode("users") != node
    assert db.one("SELECT n FROM users") == 1


def test_add_not_null_column_without_default_prechecks_the_rows(db: Db) -> None:
    db.run(BASE + "INSERT INTO users VALUES (1, 'a', 30)")
    _, plan, _ = db.plan(BASE.replace("age int", "age int, must text NOT NULL"))
    assert db.violations(plan) == {"NOT NULL users.must (rows without a value)": 1}
    db.run("DELETE FROM users")
    db.converge(BASE.replace("age int", "age int, must text NOT NULL"))
    assert (
        db.one(
            "SELECT attnotnull FROM pg_attribute WHERE attrelid = 'users'::regclass "
            "AND attname = 'must'"
        )
        is True
    )


def test_set_not_null_goes_through_a_validated_check(db: Db) -> None:
    db.run(BASE + "INSERT INTO users VALUES (1, 'a', 30), (2, NULL, 5)")
    schema = BASE.replace("email text", "email text NOT NULL")
    changes, plan, _ = db.plan(schema)
    c = only(changes, Kind.COLUMN_CHANGED)
    assert c.safety is Safety.SAFE and "validation_scan" in hazard_types(c)
    tx, on = in_tx(plan), online(plan)
    assert len(tx) == 1 and tx[0].endswith('CHECK ("email" IS NOT NULL) NOT VALID')
    assert [s.split()[-2] + " " + s.split()[-1] for s in on][1] == "NOT NULL"
    assert "VALIDATE CONSTRAINT" in on[0] and "DROP CONSTRAINT" in on[2]
    assert db.violations(plan) == {"NOT NULL users.email": 1}
    db.run("UPDATE users SET email = 'b' WHERE id = 2")
    node = db.filenode("users")
    db.converge(schema)
    assert (
        db.one(
            "SELECT attnotnull FROM pg_attribute WHERE attrelid = 'users'::regclass "
            "AND attname = 'email'"
        )
        is True
    )
    assert (
        db.one(
            "SELECT count(*) FROM pg_constraint WHERE conrelid = 'users'::regclass "
            "AND contype = 'c'"
        )
        == 0
    )
    assert db.filenode("users") == node


def test_drop_not_null_and_defaults_are_safe(db: Db) -> None:
    db.run("CREATE TABLE t (a int NOT NULL DEFAULT 1, b text DEFAULT 'x')")
    changes, _ = db.converge("CREATE TABLE t (a int DEFAULT 2, b text)")
    assert [c.safety for c in changes] == [Safety.SAFE, Safety.SAFE]
    assert db.all(
        "SELECT a.attname, a.attnotnull, pg_get_expr(d.adbin, d.adrelid) FROM pg_attribute a "
        "LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum "
        "WHERE a.attrelid = 't'::regclass AND a.attnum > 0 ORDER BY a.attnum"
    ) == [("a", False, "2"), ("b", False, None)]


def test_type_changes_coercible_rewrite_and_narrowing(db: Db) -> None:
    db.run(
        "CREATE TABLE t (id int PRIMARY KEY, name varchar(10), n int DEFAULT 0, code varchar(20));"
        "INSERT INTO t VALUES (1, 'abc', 5, 'xy')"
    )
    node = db.filenode("t")
    widen = (
        "CREATE TABLE t (id int PRIMARY KEY, name varchar(40), n int DEFAULT 0, code varchar(20))"
    )
    changes, _ = db.converge(widen)
    assert only(changes, Kind.COLUMN_CHANGED).safety is Safety.SAFE
    assert db.filenode("t") == node  # binary-coercible: no rewrite
    bigger = widen.replace("n int", "n bigint")
    changes, plan, _ = db.plan(bigger, INIT)
    c = only(changes, Kind.COLUMN_CHANGED)
    assert c.safety is Safety.REBUILD and {"rewrite", "lock"} <= hazard_types(c)
    assert plan.blocked == (plan.changes[0],) and plan.blocked_reason == INIT_REASON
    db.converge(bigger, REPAIR)
    assert db.filenode("t") != node
    assert db.all(
        "SELECT format_type(atttypid, atttypmod) FROM pg_attribute "
        "WHERE attrelid = 't'::regclass AND attname = 'n'"
    ) == [("bigint",)]
    assert db.one("SELECT n FROM t") == 5
    narrow = bigger.replace("code varchar(20)", "code varchar(5)")
    changes, plan, _ = db.plan(narrow, REPAIR)
    assert only(changes, Kind.COLUMN_CHANGED).safety is Safety.DESTRUCTIVE
    assert plan.blocked_reason == LOSS_REASON and plan.is_empty()
    db.converge(narrow, Policy(Mode.REPAIR, allow_data_loss=True))
    assert db.one("SELECT code FROM t") == "xy"


# ---------------------------------------------------------------- indexes


def test_a_new_index_on_an_existing_table_is_built_concurrently(db: Db) -> None:
    db.run(BASE + "INSERT INTO users VALUES (1, 'a', 30)")
    changes, plan = db.converge(BASE + "CREATE UNIQUE INDEX users_email ON users (email);")
    c = only(changes, Kind.MISSING_INDEX)
    assert c.safety is Safety.SAFE and hazard_types(c) == {"index_build"}
    assert online(plan) == [
        'CREATE UNIQUE INDEX CONCURRENTLY "users_email" ON public.users USING btree (email)'
    ]
    assert db.one("SELECT indisvalid FROM pg_index WHERE indexrelid = 'users_email'::regclass")


def test_a_changed_index_is_built_under_a_temporary_name_and_swapped(db: Db) -> None:
    db.run(BASE + "CREATE INDEX users_email ON users (email)")
    old = db.one("SELECT 'users_email'::regclass::oid")
    changes, plan = db.converge(BASE + "CREATE INDEX users_email ON users (lower(email), age);")
    assert kinds(changes) == ["index_changed"] and changes[0].safety is Safety.SAFE
    build, drop, rename = online(plan)
    assert build.startswith('CREATE INDEX CONCURRENTLY "_dbinit_ix_')
    assert drop == 'DROP INDEX CONCURRENTLY "public"."users_email"'
    assert rename.endswith('RENAME TO "users_email"')
    assert in_tx(plan) == []
    assert db.one("SELECT 'users_email'::regclass::oid") != old
    assert db.one("SELECT pg_get_indexdef('users_email'::regclass)") == (
        "CREATE INDEX users_email ON public.users USING btree (lower(email), age)"
    )
    assert db.one("SELECT count(*) FROM pg_class WHERE starts_with(relname, '_dbinit_')") == 0


def test_an_invalid_index_is_drift_and_rebuilt(db: Db) -> None:
    db.run(BASE + "INSERT INTO users VALUES (1, 'a', 1), (2, 'a', 2)")
    with pytest.raises(psycopg.errors.UniqueViolation):
        db.run("CREATE UNIQUE INDEX CONCURRENTLY users_email ON users (email)")
    assert (
        db.one("SELECT indisvalid FROM pg_index WHERE indexrelid = 'users_email'::regclass")
        is False
    )
    db.run("DELETE FROM users WHERE id = 2")
    changes, _ = db.converge(BASE + "CREATE UNIQUE INDEX users_email ON users (email);")
    c = only(changes, Kind.INDEX_CHANGED)
    assert "invalid" in c.detail
    assert db.one("SELECT indisvalid FROM pg_index WHERE indexrelid = 'users_email'::regclass")


def test_a_leftover_temporary_index_is_dropped(db: Db) -> None:
    db.run(BASE + "CREATE INDEX _dbinit_ix_0123456789 ON users (email)")
    changes, plan, _ = db.plan(BASE)
    assert kinds(changes) == []
    assert online(plan) == ['DROP INDEX CONCURRENTLY IF EXISTS "public"."_dbinit_ix_0123456789"']
    db.apply(plan)
    assert db.one("SELECT count(*) FROM pg_class WHERE starts_with(relname, '_dbinit_')") == 0


def test_an_extra_index_is_dropped_concurrently_only_with_prune(db: Db) -> None:
    db.run(BASE + "CREATE INDEX users_age ON users (age)")
    changes, plan, _ = db.plan(BASE)
    assert kinds(changes) == ["extra_index"] and plan.is_empty() and plan.skipped
    _, plan = db.converge(BASE, Policy(Mode.REPAIR, prune=True))
    assert online(plan) == ['DROP INDEX CONCURRENTLY "public"."users_age"']
    assert db.one("SELECT to_regclass('users_age')") is None


# ---------------------------------------------------------------- constraints


def test_check_and_foreign_key_are_added_not_valid_then_validated(db: Db) -> None:
    db.run(
        BASE + "CREATE TABLE posts (id int PRIMARY KEY, user_id int);"
        "INSERT INTO users VALUES (1, 'a', 30); INSERT INTO posts VALUES (1, 1), (2, NULL)"
    )
    schema = (
        BASE.replace("age int", "age int CONSTRAINT age_ok CHECK (age >= 0)")
        + "CREATE TABLE posts (id int PRIMARY KEY, user_id int REFERENCES users (id));"
    )
    changes, plan, _ = db.plan(schema)
    assert kinds(changes) == ["missing_constraint", "missing_constraint"]
    fk = next(c for c in changes if c.name == "posts_user_id_fkey")
    assert fk.safety is Safety.SAFE
    assert {"lock", "validation_scan"} == hazard_types(fk)
    assert any("SHARE ROW EXCLUSIVE lock on users" in h.detail for h in fk.hazards)
    assert sorted(in_tx(plan)) == [
        'ALTER TABLE "public"."posts" ADD CONSTRAINT "posts_user_id_fkey" '
        "FOREIGN KEY (user_id) REFERENCES users(id) NOT VALID",
        'ALTER TABLE "public"."users" ADD CONSTRAINT "age_ok" CHECK ((age >= 0)) NOT VALID',
    ]
    assert sorted(online(plan)) == [
        'ALTER TABLE "public"."posts" VALIDATE CONSTRAINT "posts_user_id_fkey"',
        'ALTER TABLE "public"."users" VALIDATE CONSTRAINT "age_ok"',
    ]
    assert db.violations(plan) == {
        "CHECK age_ok on users": 0,
        "FOREIGN KEY posts_user_id_fkey on posts": 0,
    }
    db.apply(plan)
    assert db.all(
        "SELECT conname, convalidated FROM pg_constraint WHERE contype IN ('c', 'f') "
        "AND connamespace = 'public'::regnamespace ORDER BY 1"
    ) == [("age_ok", True), ("posts_user_id_fkey", True)]


def test_prechecks_count_and_find_the_rows_that_break_a_new_constraint(db: Db) -> None:
    db.run(
        BASE + "CREATE TABLE posts (id int, user_id int);"
        "INSERT INTO users VALUES (1, 'a', -3), (2, 'a', 4), (3, 'a', -1);"
        "INSERT INTO posts VALUES (1, 1), (1, 9), (NULL, 8)"
    )
    schema = (
        BASE.replace("age int", "age int CONSTRAINT age_ok CHECK (age >= 0)")
        + "ALTER TABLE users ADD CONSTRAINT users_email_key UNIQUE (email);"
        + "CREATE TABLE posts (id int PRIMARY KEY, user_id int REFERENCES users (id));"
    )
    _, plan, _ = db.plan(schema)
    assert db.violations(plan) == {
        "CHECK age_ok on users": 2,
        "UNIQUE users_email_key on users (email)": 3,
        "PRIMARY KEY posts_pkey on posts (id)": 2,
        "PRIMARY KEY posts_pkey on posts (id) (NULL keys)": 1,
        "FOREIGN KEY posts_user_id_fkey on posts": 2,
        "NOT NULL posts.id": 1,
    }
    finds = {label: find for s in plan.steps for label, _, find in s.prechecks}
    assert sorted(r[0] for r in db.all(finds["CHECK age_ok on users"])) == [1, 3]
    assert sorted(r[1] for r in db.all(finds["FOREIGN KEY posts_user_id_fkey on posts"])) == [8, 9]


def test_unique_and_primary_key_come_from_a_concurrent_index(db: Db) -> None:
    db.run("CREATE TABLE t (id int, code text); INSERT INTO t VALUES (1, 'a'), (2, 'b')")
    schema = "CREATE TABLE t (id int PRIMARY KEY, code text UNIQUE DEFERRABLE)"
    changes, plan = db.converge(schema)
    assert sorted(kinds(changes)) == ["column_changed", "missing_constraint", "missing_constraint"]
    assert all(c.safety is Safety.SAFE for c in changes)
    builds = [s for s in online(plan) if "CREATE UNIQUE INDEX CONCURRENTLY" in s]
    attach = [s for s in online(plan) if "USING INDEX" in s]
    assert len(builds) == 2 and len(attach) == 2
    assert db.all(
        "SELECT conname, contype::text, condeferrable FROM pg_constraint "
        "WHERE conrelid = 't'::regclass ORDER BY 1"
    ) == [
        ("t_code_key", "u", True),
        ("t_pkey", "p", False),
    ]
    assert db.all(
        "SELECT relname FROM pg_class c JOIN pg_index i ON i.indexrelid = c.oid "
        "WHERE i.indrelid = 't'::regclass ORDER BY 1"
    ) == [("t_code_key",), ("t_pkey",)]


def test_a_not_valid_constraint_left_live_is_drift_and_validated(db: Db) -> None:
    db.run(BASE + "ALTER TABLE users ADD CONSTRAINT age_ok CHECK (age >= 0) NOT VALID")
    schema = BASE + "ALTER TABLE users ADD CONSTRAINT age_ok CHECK (age >= 0);"
    changes, plan = db.converge(schema)
    c = only(changes, Kind.CONSTRAINT_CHANGED)
    assert c.safety is Safety.SAFE and hazard_types(c) == {"validation_scan"}
    assert in_tx(plan) == [] and online(plan) == [
        'ALTER TABLE "public"."users" VALIDATE CONSTRAINT "age_ok"'
    ]
    assert db.one("SELECT convalidated FROM pg_constraint WHERE conname = 'age_ok'") is True


def test_a_changed_constraint_is_dropped_and_added_again(db: Db) -> None:
    db.run(BASE + "ALTER TABLE users ADD CONSTRAINT age_ok CHECK (age >= 0)")
    changes, plan = db.converge(BASE + "ALTER TABLE users ADD CONSTRAINT age_ok CHECK (age > 0);")
    assert kinds(changes) == ["constraint_changed"]
    assert in_tx(plan)[0] == 'ALTER TABLE "public"."users" DROP CONSTRAINT "age_ok"'
    assert (
        db.one("SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE conname = 'age_ok'")
        == "CHECK ((age > 0))"
    )


def test_an_exclusion_constraint_on_an_existing_table_is_rebuild(db: Db) -> None:
    db.run("CREATE TABLE r (during tstzrange)")
    schema = "CREATE TABLE r (during tstzrange, EXCLUDE USING gist (during WITH &&))"
    changes, plan, _ = db.plan(schema)
    assert only(changes, Kind.MISSING_CONSTRAINT).safety is Safety.REBUILD
    assert plan.blocked_reason == INIT_REASON
    db.converge(schema, REPAIR)
    assert db.one("SELECT count(*) FROM pg_constraint WHERE contype = 'x'") == 1


def test_an_extra_constraint_is_kept_unless_prune(db: Db) -> None:
    db.run(BASE + "ALTER TABLE users ADD CONSTRAINT age_ok CHECK (age >= 0)")
    changes, plan, _ = db.plan(BASE)
    assert kinds(changes) == ["extra_constraint"] and plan.is_empty()
    db.converge(BASE, Policy(Mode.REPAIR, prune=True))  # no rows lost: no --allow-data-loss
    assert db.one("SELECT count(*) FROM pg_constraint WHERE conname = 'age_ok'") == 0


def test_the_diff_is_deterministic(db: Db) -> None:
    db.run("CREATE TABLE z (a int); CREATE TABLE y (b int); CREATE INDEX zi ON z (a)")
    want = db.desired("CREATE TABLE a (x int); CREATE TABLE b (y int); CREATE INDEX bi ON b (y)")
    first = diff(want, db.live())
    assert [c.to_dict() for c in first] == [c.to_dict() for c in diff(want, db.live())]
    assert kinds(first) == [
        "missing_table",
        "missing_table",
        "extra_table",
        "extra_table",
        "missing_index",
    ]


# ---------------------------------------------------------------- the other kinds

EVERY_KIND = """
CREATE EXTENSION IF NOT EXISTS citext;
CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy');
CREATE DOMAIN posint AS integer DEFAULT 1 CONSTRAINT posint_positive CHECK (VALUE > 0);
CREATE SEQUENCE counter START 10 INCREMENT 5 CACHE 2;
CREATE TABLE people (
    id serial PRIMARY KEY,
    email citext NOT NULL UNIQUE,
    feeling mood DEFAULT 'ok',
    visits posint,
    note text
);
COMMENT ON TABLE people IS 'people';
COMMENT ON COLUMN people.email IS 'login';
CREATE INDEX people_note ON people (lower(note) DESC NULLS LAST) WHERE note IS NOT NULL;
COMMENT ON INDEX people_note IS 'search';
CREATE VIEW happy AS SELECT id, email FROM people WHERE feeling = 'happy';
CREATE VIEW happy_ids AS SELECT id FROM happy;
CREATE MATERIALIZED VIEW people_count AS SELECT count(*) AS n FROM people;
CREATE UNIQUE INDEX people_count_n ON people_count (n);
CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.note := coalesce(NEW.note, 'none');
    RETURN NEW;
END;
$$;
CREATE FUNCTION n_people() RETURNS bigint LANGUAGE sql AS 'SELECT count(*) FROM people';
CREATE PROCEDURE noop(a int) LANGUAGE sql BEGIN ATOMIC SELECT a; END;
CREATE TRIGGER people_touch BEFORE INSERT ON people FOR EACH ROW EXECUTE FUNCTION touch();
COMMENT ON FUNCTION touch() IS 'fills note';
"""

CATALOG = """
SELECT 'rel', relname || ':' || relkind::text FROM pg_class
 WHERE relnamespace = 'public'::regnamespace
UNION ALL SELECT 'type', typname || ':' || typtype::text FROM pg_type
 WHERE typnamespace = 'public'::regnamespace AND typtype IN ('e', 'd')
UNION ALL SELECT 'proc', proname || ':' || prokind::text FROM pg_proc
 WHERE pronamespace = 'public'::regnamespace
UNION ALL SELECT 'trigger', tgname || ':' || tgenabled::text FROM pg_trigger WHERE NOT tgisinternal
UNION ALL SELECT 'extension', extname FROM pg_extension
UNION ALL SELECT 'comment', description FROM pg_description WHERE objoid >= 16384
UNION ALL SELECT 'enum', string_agg(enumlabel, ',' ORDER BY enumsortorder) FROM pg_enum
ORDER BY 1, 2
"""


def test_every_kind_is_created_from_nothing_in_dependency_order(db: Db, pg_conn: Any) -> None:
    changes, plan = db.converge(EVERY_KIND)
    assert set(kinds(changes)) == {
        "missing_extension",
        "missing_type",
        "missing_sequence",
        "missing_function",
        "missing_table",
        "missing_index",
        "missing_view",
        "missing_materialized_view",
        "missing_trigger",
        "missing_comment",
    }
    assert all(c.safety is Safety.SAFE for c in changes) and not plan.blocked
    assert all(c.sql for c in plan.changes), "every change shows its SQL"
    # Independent oracle: the same files run directly give the same catalog.
    ours = db.all(CATALOG)
    direct = Db(db.url, pg_conn)
    direct.run("DROP SCHEMA public CASCADE; CREATE SCHEMA public; SET search_path = public")
    direct.run(EVERY_KIND)
    assert ours == direct.all(CATALOG)


def test_enum_values_are_added_each_in_its_own_step(db: Db) -> None:
    db.run(
        "CREATE TYPE mood AS ENUM ('sad', 'happy'); CREATE TABLE t (m mood);"
        "INSERT INTO t VALUES ('sad')"
    )
    schema = "CREATE TYPE mood AS ENUM ('meh', 'sad', 'ok', 'happy', 'ecstatic'); CREATE TABLE t (m mood)"
    changes, plan = db.converge(schema)
    c = only(changes, Kind.TYPE_CHANGED)
    assert c.safety is Safety.SAFE and c.table == "mood"
    assert [s.statements[0].sql for s in plan.steps] == [
        """ALTER TYPE "public"."mood" ADD VALUE 'meh' BEFORE 'sad'""",
        """ALTER TYPE "public"."mood" ADD VALUE 'ok' AFTER 'sad'""",
        """ALTER TYPE "public"."mood" ADD VALUE 'ecstatic' AFTER 'happy'""",
    ]
    assert all(len(s.statements) == 1 for s in plan.steps)
    assert db.one("SELECT string_agg(enumlabel, ',' ORDER BY enumsortorder) FROM pg_enum") == (
        "meh,sad,ok,happy,ecstatic"
    )


def test_enum_values_removed_need_allow_data_loss_and_convert_the_columns(db: Db) -> None:
    db.run(
        "CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy');"
        "CREATE TABLE t (m mood DEFAULT 'ok', ms mood[]); INSERT INTO t VALUES ('happy', '{sad}')"
    )
    schema = (
        "CREATE TYPE mood AS ENUM ('happy', 'sad', 'ok2');"
        "CREATE TABLE t (m mood DEFAULT 'happy', ms mood[])"
    )
    changes, plan, _ = db.plan(schema, REPAIR)
    assert only(changes, Kind.TYPE_CHANGED).safety is Safety.DESTRUCTIVE
    assert plan.blocked_reason == LOSS_REASON
    _, plan, _ = db.plan(schema, INIT)
    assert plan.blocked_reason == INIT_REASON
    db.converge(schema, Policy(Mode.REPAIR, allow_data_loss=True))
    assert db.all("SELECT m::text, ms::text FROM t") == [("happy", "{sad}")]
    assert db.one("SELECT string_agg(enumlabel, ',' ORDER BY enumsortorder) FROM pg_enum") == (
        "happy,sad,ok2"
    )
    assert db.one("SELECT count(*) FROM pg_type WHERE starts_with(typname, '_dbinit_')") == 0


def test_domain_changes(db: Db) -> None:
    db.run(
        "CREATE DOMAIN posint AS int CONSTRAINT a CHECK (VALUE > 0) CONSTRAINT b CHECK (VALUE < 9);"
        "CREATE TABLE t (x posint); INSERT INTO t VALUES (5)"
    )
    schema = (
        "CREATE DOMAIN posint AS int DEFAULT 3 CONSTRAINT a CHECK (VALUE >= 0) "
        "CONSTRAINT c CHECK (VALUE < 100); CREATE TABLE t (x posint)"
    )
    changes, plan = db.converge(schema)
    assert only(changes, Kind.TYPE_CHANGED).safety is Safety.SAFE
    assert any("VALIDATE CONSTRAINT" in s for s in online(plan))
    assert db.all(
        "SELECT conname, pg_get_constraintdef(oid), convalidated FROM pg_constraint "
        "WHERE contypid = 'posint'::regtype ORDER BY 1"
    ) == [
        ("a", "CHECK ((VALUE >= 0))", True),
        ("c", "CHECK ((VALUE < 100))", True),
    ]
    assert (
        db.one("SELECT pg_get_expr(typdefaultbin, 0) FROM pg_type WHERE typname = 'posint'") == "3"
    )
    with_nn = schema.replace("DEFAULT 3", "DEFAULT 3 NOT NULL")
    changes, plan, _ = db.plan(with_nn)
    assert only(changes, Kind.TYPE_CHANGED).safety is Safety.REBUILD
    db.converge(with_nn, REPAIR)
    assert db.one("SELECT typnotnull FROM pg_type WHERE typname = 'posint'") is True
    rebased = with_nn.replace("AS int", "AS bigint")
    _, plan, _ = db.plan(rebased, REPAIR)
    assert plan.blocked and "cannot make this change in place" in plan.blocked_reason


def test_a_not_valid_domain_check_is_validated(db: Db) -> None:
    db.run("CREATE DOMAIN d AS int; ALTER DOMAIN d ADD CONSTRAINT pos CHECK (VALUE > 0) NOT VALID")
    changes, plan = db.converge("CREATE DOMAIN d AS int CONSTRAINT pos CHECK (VALUE > 0)")
    assert kinds(changes) == ["type_changed"]
    assert online(plan) == ['ALTER DOMAIN "public"."d" VALIDATE CONSTRAINT "pos"']
    assert db.one("SELECT convalidated FROM pg_constraint WHERE conname = 'pos'") is True


def test_sequences_created_changed_owned_and_dropped(db: Db) -> None:
    db.run("CREATE SEQUENCE s INCREMENT 1; CREATE SEQUENCE old; CREATE TABLE t (id int)")
    schema = (
        "CREATE SEQUENCE s AS integer INCREMENT 3 MAXVALUE 1000 CYCLE; "
        "CREATE SEQUENCE fresh START 5; CREATE TABLE t (id int);"
        "ALTER SEQUENCE s OWNED BY t.id"
    )
    changes, _plan = db.converge(schema, Policy(Mode.REPAIR, prune=True))
    assert sorted(kinds(changes)) == ["extra_sequence", "missing_sequence", "sequence_changed"]
    assert db.all(
        "SELECT seqrelid::regclass::text, format_type(seqtypid, NULL), seqincrement, "
        "seqmax, seqcycle, seqstart FROM pg_sequence ORDER BY 1"
    ) == [
        ("fresh", "bigint", 1, 9223372036854775807, False, 5),
        ("s", "integer", 3, 1000, True, 1),
    ]
    assert (
        db.one(
            "SELECT refobjid::regclass::text FROM pg_depend WHERE objid = 's'::regclass "
            "AND deptype = 'a'"
        )
        == "t"
    )


def test_serial_columns_of_a_new_table(db: Db) -> None:
    db.run("CREATE TABLE other (x int)")
    db.converge("CREATE TABLE other (x int); CREATE TABLE t (id serial PRIMARY KEY, n bigserial)")
    db.run("INSERT INTO t DEFAULT VALUES")
    assert db.all("SELECT id, n FROM t") == [(1, 1)]


def test_functions_procedures_changed_and_dropped(db: Db) -> None:
    db.run(
        "CREATE FUNCTION f(a int) RETURNS int LANGUAGE sql AS 'SELECT a + 1';"
        "CREATE FUNCTION gone() RETURNS int LANGUAGE sql AS 'SELECT 1';"
        "CREATE FUNCTION p(a int) RETURNS int LANGUAGE sql AS 'SELECT a'"
    )
    schema = (
        "CREATE FUNCTION f(a int) RETURNS int LANGUAGE sql AS 'SELECT a + 2';"
        "CREATE PROCEDURE p(a int) LANGUAGE sql AS 'SELECT a';"
        "CREATE TABLE t (x int DEFAULT f(1));"
        "CREATE FUNCTION uses_table() RETURNS bigint LANGUAGE sql AS 'SELECT count(*) FROM t'"
    )
    changes, _ = db.converge(schema, Policy(Mode.REPAIR, prune=True))
    # p, a function made a procedure of the same signature, is p changed (kind), not
    # one missing and one extra: the two cannot coexist
    assert sorted(kinds(changes)) == [
        "extra_function",
        "function_changed",
        "function_changed",
        "missing_function",
        "missing_table",
    ]
    assert (
        "kind, result type differ"
        in only([c for c in changes if c.name.startswith("p(")], Kind.FUNCTION_CHANGED).detail
    )
    assert db.one("SELECT f(1)") == 3
    assert db.all(
        "SELECT proname, prokind::text FROM pg_proc WHERE pronamespace = "
        "'public'::regnamespace ORDER BY 1"
    ) == [
        ("f", "f"),
        ("p", "p"),
        ("uses_table", "f"),
    ]


def test_views_and_materialized_views_changed_with_their_indexes_and_triggers(db: Db) -> None:
    db.run(
        "CREATE TABLE t (a int, b int); INSERT INTO t VALUES (1, 2);"
        "CREATE VIEW v AS SELECT a FROM t; CREATE VIEW gone AS SELECT 1 AS x;"
        "CREATE MATERIALIZED VIEW m AS SELECT a FROM t; CREATE UNIQUE INDEX m_a ON m (a)"
    )
    schema = """
    CREATE TABLE t (a int, b int);
    CREATE VIEW v WITH (security_barrier = true) AS SELECT a, b FROM t;
    CREATE VIEW w AS SELECT b FROM v;
    CREATE MATERIALIZED VIEW m AS SELECT a, b FROM t;
    CREATE UNIQUE INDEX m_a ON m (a);
    CREATE FUNCTION ins() RETURNS trigger LANGUAGE plpgsql AS
      $$BEGIN INSERT INTO t VALUES (NEW.a, NEW.b); RETURN NEW; END$$;
    CREATE TRIGGER v_ins INSTEAD OF INSERT ON v FOR EACH ROW EXECUTE FUNCTION ins();
    """
    changes, _ = db.converge(schema, Policy(Mode.REPAIR, prune=True))
    assert sorted(kinds(changes)) == [
        "extra_view",
        "materialized_view_changed",
        "missing_function",
        "missing_trigger",
        "missing_view",
        "view_changed",
    ]
    assert db.all("SELECT * FROM m") == [(1, 2)]
    assert db.one("SELECT indisvalid FROM pg_index WHERE indexrelid = 'm_a'::regclass")
    assert db.one("SELECT reloptions FROM pg_class WHERE relname = 'v'") == [
        "security_barrier=true"
    ]
    db.run("INSERT INTO v VALUES (3, 4)")
    assert db.one("SELECT count(*) FROM w") == 2
    changed = schema.replace(
        "SELECT a, b FROM t;\n    CREATE VIEW w", "SELECT a, b, 1 AS c FROM t;\n    CREATE VIEW w"
    )
    changes, _ = db.converge(changed)
    assert kinds(changes) == ["view_changed"]
    assert db.one("SELECT count(*) FROM pg_trigger WHERE tgname = 'v_ins'") == 1


def test_triggers_changed_disabled_and_dropped(db: Db) -> None:
    db.run(
        "CREATE TABLE t (a int);"
        "CREATE FUNCTION f() RETURNS trigger LANGUAGE plpgsql AS $$BEGIN RETURN NEW; END$$;"
        "CREATE TRIGGER t1 BEFORE INSERT ON t FOR EACH ROW EXECUTE FUNCTION f();"
        "CREATE TRIGGER t2 BEFORE INSERT ON t FOR EACH ROW EXECUTE FUNCTION f();"
        "CREATE TRIGGER t3 BEFORE INSERT ON t FOR EACH ROW EXECUTE FUNCTION f()"
    )
    schema = (
        "CREATE TABLE t (a int);"
        "CREATE FUNCTION f() RETURNS trigger LANGUAGE plpgsql AS $$BEGIN RETURN NEW; END$$;"
        "CREATE TRIGGER t1 BEFORE UPDATE ON t FOR EACH ROW EXECUTE FUNCTION f();"
        "CREATE TRIGGER t2 BEFORE INSERT ON t FOR EACH ROW EXECUTE FUNCTION f();"
        "ALTER TABLE t DISABLE TRIGGER t2"
    )
    changes, _ = db.converge(schema, Policy(Mode.REPAIR, prune=True))
    assert kinds(changes) == ["trigger_changed", "trigger_changed", "extra_trigger"]
    assert db.all("SELECT tgname, tgenabled::text, tgtype FROM pg_trigger ORDER BY 1") == [
        ("t1", "O", 19),
        ("t2", "D", 7),
    ]


def test_extensions_and_comments(db: Db) -> None:
    db.run(
        "CREATE EXTENSION hstore; CREATE TABLE t (a int, CONSTRAINT pos CHECK (a > 0));"
        "COMMENT ON TABLE t IS 'old'; COMMENT ON COLUMN t.a IS 'gone'"
    )
    schema = (
        "CREATE EXTENSION citext; CREATE TABLE t (a int, CONSTRAINT pos CHECK (a > 0));"
        "COMMENT ON TABLE t IS 'it''s new'; COMMENT ON CONSTRAINT pos ON t IS 'positive'"
    )
    changes, _plan, _ = db.plan(schema)
    assert sorted(kinds(changes)) == [
        "comment_changed",
        "extra_comment",
        "extra_extension",
        "missing_comment",
        "missing_extension",
    ]
    assert all(c.safety is Safety.SAFE for c in changes if c.kind.value.endswith("comment"))
    db.converge(schema, Policy(Mode.REPAIR, prune=True))
    assert db.all("SELECT extname FROM pg_extension ORDER BY 1") == [("citext",), ("plpgsql",)]
    assert db.all(
        "SELECT description FROM pg_description WHERE objoid >= 16384 "
        "AND classoid <> 'pg_extension'::regclass ORDER BY 1"
    ) == [
        ("it's new",),
        ("positive",),
    ]


def test_unmanaged_objects_are_listed_once_and_never_planned(db: Db) -> None:
    db.run(
        "CREATE TABLE t (a int); CREATE RULE p AS ON DELETE TO t DO INSTEAD NOTHING;"
        "CREATE OPERATOR === (LEFTARG = int, RIGHTARG = int, FUNCTION = int4eq)"
    )
    schema = "CREATE TABLE t (a int)"
    changes, plan, _ = db.plan(schema, PRUNE_ALL)
    un = [c for c in changes if is_unmanaged(c)]
    assert [(c.kind.value, c.name, c.safety) for c in un] == [
        ("unmanaged_operator", "===", Safety.SAFE),
        ("unmanaged_rule", "p", Safety.SAFE),
    ]
    assert plan.is_empty() and not plan.skipped and not plan.blocked
    assert all(c.sql == () for c in plan.changes)


def test_pruning_drops_dependants_before_what_they_depend_on(db: Db) -> None:
    db.run(
        "CREATE TYPE kind AS ENUM ('a'); CREATE SEQUENCE ids; CREATE EXTENSION citext;"
        "CREATE TABLE parent (id int PRIMARY KEY, k kind, n int DEFAULT nextval('ids'));"
        "CREATE TABLE child (id int, p int REFERENCES parent (id), e citext);"
        "CREATE VIEW pv AS SELECT id FROM parent;"
        "CREATE FUNCTION f() RETURNS trigger LANGUAGE plpgsql AS $$BEGIN RETURN NEW; END$$;"
        "CREATE TRIGGER tr BEFORE INSERT ON child FOR EACH ROW EXECUTE FUNCTION f();"
        "CREATE TABLE keep (id int)"
    )
    changes, _ = db.converge("CREATE TABLE keep (id int)", PRUNE_ALL)
    assert sorted(kinds(changes)) == [
        "extra_extension",
        "extra_function",
        "extra_sequence",
        "extra_table",
        "extra_table",
        "extra_type",
        "extra_view",
    ]  # the trigger and the FK go with their table: not listed twice
    assert db.all(CATALOG) == [("enum", None), ("extension", "plpgsql"), ("rel", "keep:r")]


def test_identity_generated_collation_and_options_changes(db: Db) -> None:
    db.run(
        "CREATE TABLE t (id int NOT NULL, n int GENERATED BY DEFAULT AS IDENTITY, "
        "price numeric, total numeric GENERATED ALWAYS AS (price * 2) STORED, "
        "name text) WITH (fillfactor = 80);"
        "INSERT INTO t (id, price, name) VALUES (1, 5, 'b'), (2, 6, 'a')"
    )
    schema = (
        "CREATE TABLE t (id int GENERATED ALWAYS AS IDENTITY (START WITH 10), "
        "n int GENERATED ALWAYS AS IDENTITY (INCREMENT BY 5), "
        "price numeric, total numeric GENERATED ALWAYS AS (price * 3) STORED, "
        'name text COLLATE "C") WITH (autovacuum_enabled = false)'
    )
    changes, plan, _ = db.plan(schema)
    safety = {c.name: c.safety for c in changes}
    assert safety == {
        "t": Safety.SAFE,
        "id": Safety.REBUILD,
        "n": Safety.SAFE,
        "total": Safety.REBUILD,
        "name": Safety.REBUILD,
    }
    assert len(plan.blocked) == 3 and plan.blocked_reason == INIT_REASON
    db.converge(schema, REPAIR)
    assert db.all(
        "SELECT attname, attidentity::text, attgenerated::text, attcollation::regcollation::text "
        "FROM pg_attribute WHERE attrelid = 't'::regclass AND attnum > 0 AND NOT attisdropped "
        "ORDER BY attname"
    ) == [
        ("id", "a", "", "-"),
        ("n", "a", "", "-"),
        ("name", "", "", '"C"'),
        ("price", "", "", "-"),
        ("total", "", "s", "-"),
    ]
    assert db.all("SELECT total FROM t ORDER BY price") == [(15,), (18,)]
    assert db.one("SELECT reloptions FROM pg_class WHERE relname = 't'") == [
        "autovacuum_enabled=false"
    ]


def test_a_foreign_key_to_a_table_created_by_the_plan_is_prechecked(db: Db) -> None:
    db.run("CREATE TABLE posts (id int, user_id int); INSERT INTO posts VALUES (1, 7), (2, NULL)")
    schema = (
        "CREATE TABLE users (id int PRIMARY KEY); "
        "CREATE TABLE posts (id int, user_id int REFERENCES users (id))"
    )
    _, plan, _ = db.plan(schema)
    assert db.violations(plan) == {"FOREIGN KEY posts_user_id_fkey on posts": 1}
    db.run("UPDATE posts SET user_id = NULL")
    db.converge(schema)
    assert db.one("SELECT convalidated FROM pg_constraint WHERE contype = 'f'") is True


def test_enum_values_reordered_is_rebuild(db: Db) -> None:
    db.run("CREATE TYPE m AS ENUM ('a', 'b'); CREATE TABLE t (x m); INSERT INTO t VALUES ('b')")
    schema = "CREATE TYPE m AS ENUM ('b', 'a'); CREATE TABLE t (x m)"
    changes, _, _ = db.plan(schema)
    assert only(changes, Kind.TYPE_CHANGED).safety is Safety.REBUILD
    db.converge(schema, REPAIR)
    assert db.one("SELECT string_agg(enumlabel, ',' ORDER BY enumsortorder) FROM pg_enum") == "b,a"
    assert db.one("SELECT x::text FROM t") == "b"


def test_replica_identity_on_an_existing_index_is_set_in_the_transaction(db: Db) -> None:
    """On an index the database has (the primary key's, a plain unique one), REPLICA
    IDENTITY is set inside the plan's transaction; only on an index the plan builds
    concurrently does it wait for that build, online."""
    db.run(BASE + "CREATE UNIQUE INDEX users_email ON users (email);")
    db.run("ALTER TABLE users ALTER COLUMN email SET NOT NULL")
    for index in ("users_pkey", "users_email"):
        declared = (
            "CREATE TABLE users (id int PRIMARY KEY, email text NOT NULL, age int);\n"
            "CREATE UNIQUE INDEX users_email ON users (email);\n"
            f"ALTER TABLE users REPLICA IDENTITY USING INDEX {index};\n"
        )
        _, plan = db.converge(declared, REPAIR)
        assert f'ALTER TABLE "public"."users" REPLICA IDENTITY USING INDEX {index}' in in_tx(plan)
        assert online(plan) == []
    declared = (
        "CREATE TABLE users (id int PRIMARY KEY, email text NOT NULL, age int);\n"
        "CREATE UNIQUE INDEX users_email ON users (email);\n"
        "CREATE UNIQUE INDEX users_email_age ON users (email, age);\n"
        "ALTER TABLE users ALTER COLUMN age SET NOT NULL;\n"
        "ALTER TABLE users REPLICA IDENTITY USING INDEX users_email_age;\n"
    )
    db.run("ALTER TABLE users ALTER COLUMN age SET NOT NULL")
    _, plan = db.converge(declared, REPAIR)
    assert online(plan)[-1] == (
        'ALTER TABLE "public"."users" REPLICA IDENTITY USING INDEX users_email_age'
    )


def test_a_changed_unique_key_is_swapped_for_its_new_index_never_left_missing(db: Db) -> None:
    """A changed UNIQUE (or PRIMARY KEY) that no foreign key uses keeps guarding the
    table until its replacement is built: the new unique index is built
    concurrently, then one ALTER TABLE drops the old key and attaches the new
    index under its name. Dropping it in the transaction left the table without
    uniqueness until the online build, and without the key if that build failed."""
    db.run(BASE + "ALTER TABLE users ADD CONSTRAINT users_email_key UNIQUE (email)")
    db.run("INSERT INTO users VALUES (1, 'a', 30), (2, 'b', 30)")
    changes, plan = db.converge(
        BASE + "ALTER TABLE users ADD CONSTRAINT users_email_key UNIQUE (email, age);", REPAIR
    )
    assert kinds(changes) == ["constraint_changed"]
    assert not any("DROP CONSTRAINT" in s for s in in_tx(plan)), in_tx(plan)
    build, swap = online(plan)
    assert build.startswith("CREATE UNIQUE INDEX CONCURRENTLY")
    assert swap.startswith(
        'ALTER TABLE "public"."users" DROP CONSTRAINT "users_email_key", '
        'ADD CONSTRAINT "users_email_key" UNIQUE USING INDEX'
    )
    assert (
        db.one(
            "SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE conname = 'users_email_key'"
        )
        == "UNIQUE (email, age)"
    )


def test_a_constraint_validated_inside_the_transaction_lists_that_scan(db: Db) -> None:
    """A constraint on a column the plan adds (its rows cannot be counted before the
    plan runs) is validated, or its index built, inside the transaction under the
    ALTER's lock: its hazards said it was scanned online, reads and writes going on.
    A CHECK on a column that exists keeps the online scan (NOT VALID, VALIDATE)."""
    db.run(
        "CREATE TABLE t2 (x text PRIMARY KEY); CREATE TABLE t (id int PRIMARY KEY, a int);"
        "INSERT INTO t VALUES (1, 1)"
    )
    _, plan, _ = db.plan(
        "CREATE TABLE t2 (x text PRIMARY KEY);"
        "CREATE TABLE t (id int PRIMARY KEY, a int CHECK (a > 0), b int CHECK (b > 0),"
        " c int UNIQUE, d text REFERENCES t2 (x))"
    )
    hazards = {  # as the report gives them: the plan's changes
        c.name: [(h.type, h.detail) for h in c.hazards]
        for c in plan.changes
        if c.kind is Kind.MISSING_CONSTRAINT
    }
    inside = "inside the transaction, under its ACCESS EXCLUSIVE lock (reads and writes wait)"
    assert hazards["t_b_check"] == [
        ("lock", "ACCESS EXCLUSIVE lock on t, held while the table is scanned"),
        ("validation_scan", f"scans t to validate t_b_check {inside}"),
    ]
    assert hazards["t_c_key"] == [
        ("index_build", f"builds index t_c_key on t {inside}"),
        ("lock", "ACCESS EXCLUSIVE lock on t, held while its index is built"),
    ]
    assert ("validation_scan", f"scans t to validate t_d_fkey {inside}") in hazards["t_d_fkey"]
    assert hazards["t_a_check"] == [
        ("lock", "ACCESS EXCLUSIVE lock on t, held briefly"),
        (
            "validation_scan",
            "scans t to validate t_a_check under a SHARE UPDATE EXCLUSIVE lock "
            "(reads and writes continue)",
        ),
    ]
    # the plan does what the hazards say
    sql = [s.sql for step in plan.steps for s in step.statements]
    assert 'ALTER TABLE "public"."t" ADD CONSTRAINT "t_b_check" CHECK ((b > 0))' in sql
    assert any(s.endswith('"t_a_check" CHECK ((a > 0)) NOT VALID') for s in sql)
