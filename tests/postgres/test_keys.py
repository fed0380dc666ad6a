"""Keys, types and sequences on PostgreSQL (issue 15 §3), through the real CLI:
what the case table (`cases/keys-*.sql`) cannot say by itself: `inspect`
round trips, what `check` and `validate` report, and the words of a refusal.
The database is read back through `pg_catalog` (an oracle independent of
dbinit's introspection)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.conftest import write_schema
from tests.postgres.helpers import dbname_of, execute, scalar, url_of

APFLORA = """
CREATE TABLE ap (id uuid NOT NULL, art_id integer);
ALTER TABLE ONLY ap ADD CONSTRAINT ap_pkey PRIMARY KEY (id);
ALTER TABLE ONLY ap ADD CONSTRAINT ap_id_key UNIQUE (id);
CREATE TABLE pop (id uuid NOT NULL PRIMARY KEY, ap_id uuid);
ALTER TABLE ONLY pop ADD CONSTRAINT pop_ap_id_fkey FOREIGN KEY (ap_id) REFERENCES ap (id);
"""

_KEYS = (
    "SELECT string_agg(conname || ' ' || contype::text, ', ' ORDER BY conname) FROM pg_constraint"
    " WHERE conrelid = 'ap'::regclass"
)


@pytest.fixture
def db(pg_db: str) -> str:
    """The test database as a postgresql:// URL (the CLI's form)."""
    return url_of(pg_db, dbname_of(pg_db))


def run(cli: Any, url: str, *args: str) -> tuple[int, dict[str, Any]]:
    res = cli(*args, "--format", "json", "-d", url)
    assert "Traceback" not in res.stderr, res.stderr[-3000:]
    return res.exit_code, res.json()


def kinds(doc: dict[str, Any]) -> dict[str, str]:
    return {f"{c['table']}.{c['name']}": c["kind"] for c in doc["changes"] if not c["extra"]}


def test_inspect_keeps_a_unique_beside_a_primary_key_on_the_same_columns(
    cli: Any, db: str, tmp_path: Path
) -> None:
    execute(db, APFLORA)
    out = tmp_path / "inspected"
    code, _ = run(cli, db, "inspect", "--output-dir", str(out))
    assert code == 0
    code, doc = run(cli, db, "check", "-s", str(out))
    assert (code, kinds(doc)) == (0, {})
    # the files alone build both keys again
    execute(db, "DROP TABLE pop, ap")
    code, doc = run(cli, db, "init", "-s", str(out))
    assert code == 0, doc["error"]
    assert scalar(db, _KEYS) == "ap_id_key u, ap_pkey p"


def test_first_init_of_a_primary_key_and_a_unique_on_the_same_columns(
    cli: Any, db: str, tmp_path: Path
) -> None:
    schemas = write_schema(tmp_path / "s", {"001.sql": APFLORA})
    code, doc = run(cli, db, "init", "-s", str(schemas))
    assert code == 0, doc["error"]
    assert scalar(db, _KEYS) == "ap_id_key u, ap_pkey p"
    assert run(cli, db, "check", "-s", str(schemas))[0] == 0


# ---------------------------------------------------------------- sequences behind


SERIAL = "CREATE TABLE items (id serial PRIMARY KEY, name text);"
IDENTITY = "CREATE TABLE tags (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, name text);"


def test_a_sequence_behind_its_column_is_drift_that_init_moves_forward(
    cli: Any, db: str, tmp_path: Path
) -> None:
    schemas = write_schema(tmp_path / "s", {"001.sql": SERIAL + IDENTITY})
    assert run(cli, db, "init", "-s", str(schemas))[0] == 0
    # rows copied in from elsewhere, with their own ids
    execute(db, "INSERT INTO items VALUES (1, 'a'), (42, 'b')")
    execute(db, "INSERT INTO tags OVERRIDING SYSTEM VALUE VALUES (7, 'x')")
    for command in ("check", "validate"):
        code, doc = run(cli, db, command, "-s", str(schemas))
        assert code == 1, doc
        behind = {c["name"]: c for c in doc["changes"] if c["kind"] == "sequence_behind"}
        assert set(behind) == {"items_id_seq", "tags_id_seq"}, doc["changes"]
        item = behind["items_id_seq"]
        assert (item["table"], item["column"], item["safety"]) == ("items", "id", "safe")
        assert "next value is 1" in item["detail"] and "largest value is 42" in item["detail"]
    code, doc = run(cli, db, "init", "-s", str(schemas))
    assert code == 0, doc["error"]
    assert any("setval" in s for s in doc["applied"]), doc["applied"]
    # the app's next inserts work, and the gate says so
    execute(db, "INSERT INTO items (name) VALUES ('c'); INSERT INTO tags (name) VALUES ('y')")
    assert scalar(db, "SELECT max(id) FROM items") == 43
    assert scalar(db, "SELECT max(id) FROM tags") == 8
    assert run(cli, db, "validate", "-s", str(schemas))[0] == 0
    code, doc = run(cli, db, "init", "-s", str(schemas))
    assert (code, doc["applied"]) == (0, [])


def test_a_sequence_ahead_of_its_column_is_in_sync_and_never_moved_back(
    cli: Any, db: str, tmp_path: Path
) -> None:
    schemas = write_schema(tmp_path / "s", {"001.sql": SERIAL})
    execute(db, SERIAL + "INSERT INTO items VALUES (5, 'a'); SELECT setval('items_id_seq', 900)")
    assert run(cli, db, "check", "-s", str(schemas))[0] == 0
    assert run(cli, db, "validate", "-s", str(schemas))[0] == 0
    assert scalar(db, "SELECT last_value FROM items_id_seq") == 900


# ---------------------------------------------------------------- identity options


def test_check_sees_changed_identity_options_and_init_applies_them(
    cli: Any, db: str, tmp_path: Path
) -> None:
    execute(db, IDENTITY + "INSERT INTO tags (name) VALUES ('a'), ('b')")
    declared = IDENTITY.replace("AS IDENTITY", "AS IDENTITY (INCREMENT BY 10 START WITH 5)")
    schemas = write_schema(tmp_path / "s", {"001.sql": declared})
    code, doc = run(cli, db, "check", "-s", str(schemas))
    assert code == 1
    (change,) = doc["changes"]
    assert (change["kind"], change["name"]) == ("column_changed", "id")
    assert any("SET INCREMENT BY 10" in s for s in change["sql"]), change["sql"]
    assert run(cli, db, "init", "-s", str(schemas))[0] == 0
    options = "SELECT row(seqincrement, seqstart)::text FROM pg_sequence"
    assert scalar(db, f"{options} WHERE seqrelid = 'tags_id_seq'::regclass") == "(10,5)"
    assert run(cli, db, "check", "-s", str(schemas))[0] == 0
