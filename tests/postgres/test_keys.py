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
