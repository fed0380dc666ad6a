"""The remembered desired state on SQLite (docs/usage.md): a writing run that ends
in sync stores the model it built; a later run with the same key uses it and
builds nothing; any change of the key, or a stored model that does not load,
means building from the files again, never a crash.

The oracle never asks dbinit which model it used. A *foreign* model (the one
another set of files produced, sealed as dbinit seals it) is planted under this
database's key: a run that uses the stored model reports the foreign files'
drift, a run that builds from the files reports none.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from pathlib import Path

import pytest

import dbinit
from dbinit import remember
from tests.conftest import digest, write_schema

FILES = {
    "001_users.sql": "CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT NOT NULL);\n",
    "002_notes.sql": "CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT);\n",
}
# Other files: `users.email` is a BLOB there. Its model, used for our files, is drift.
OTHER = {
    "001_users.sql": "CREATE TABLE users (id INTEGER PRIMARY KEY, email BLOB NOT NULL);\n",
    "002_notes.sql": "CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT);\n",
}


def state_rows(db: Path) -> list[tuple[str, str, str]]:
    with sqlite3.connect(db) as conn:
        return conn.execute("SELECT key, digest, model FROM _dbinit_state").fetchall()


def plant(db: Path, model: str, *, seal: str | None = None) -> None:
    """Replace the stored model of `db`'s only key by `model` (sealed as dbinit
    seals it unless `seal` is given)."""
    (key, _, _) = state_rows(db)[0]
    sealed = seal if seal is not None else hashlib.sha256(model.encode()).hexdigest()
    with sqlite3.connect(db) as conn:
        conn.execute(
            "UPDATE _dbinit_state SET model = ?, digest = ? WHERE key = ?", (model, sealed, key)
        )


@pytest.fixture
def foreign_model(tmp_path: Path, cli: object) -> str:
    """The model `init` stores for the OTHER files (in a database of its own)."""
    other = tmp_path / "other"
    write_schema(other / "schemas", OTHER)
    result = cli("init", "--database", str(other / "o.db"), "--schema-dir", str(other / "schemas"))  # type: ignore[operator]
    assert result.exit_code == 0, result.stderr
    [(_, _, model)] = state_rows(other / "o.db")
    return str(model)


@pytest.fixture
def planted(tmp_path: Path, cli: object, foreign_model: str) -> Path:
    """app.db built from FILES, its stored model replaced by the foreign one."""
    write_schema(tmp_path / "schemas", FILES)
    result = cli("init")  # type: ignore[operator]
    assert result.exit_code == 0, result.stderr
    assert len(state_rows(tmp_path / "app.db")) == 1
    plant(tmp_path / "app.db", foreign_model)
    return tmp_path / "app.db"


def check(cli: object, *args: str, env: dict[str, str] | None = None) -> tuple[int, dict]:
    result = cli("check", "--format", "json", *args, env=env)  # type: ignore[operator]
    assert result.exit_code in (0, 1), result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    return result.exit_code, result.json()


def test_init_stores_the_model_and_check_uses_it(planted: Path, cli: object) -> None:
    code, report = check(cli)
    # The stored (foreign) model was used: the files were not executed.
    assert code == 1
    assert [(c["kind"], c["table"], c["column"]) for c in report["changes"]] == [
        ("column_changed", "users", "email")
    ]
    code, _ = check(cli, "--schema-dir", "schemas")
    assert code == 1


def test_a_read_only_check_writes_nothing_and_a_second_init_writes_nothing(
    tmp_path: Path, cli: object
) -> None:
    write_schema(tmp_path / "schemas", FILES)
    assert cli("init").exit_code == 0  # type: ignore[operator]
    before = digest(tmp_path / "app.db")
    assert check(cli)[0] == 0
    assert cli("validate").exit_code == 0  # type: ignore[operator]
    assert cli("init").exit_code == 0  # type: ignore[operator]
    assert digest(tmp_path / "app.db") == before


def test_an_in_sync_run_writes_nothing_the_next_change_records_the_model(
    tmp_path: Path, cli: object
) -> None:
    write_schema(tmp_path / "schemas", FILES)
    assert cli("init").exit_code == 0  # type: ignore[operator]
    db = tmp_path / "app.db"
    with sqlite3.connect(db) as conn:
        conn.execute("DROP TABLE _dbinit_state")
    before = digest(db)
    assert check(cli)[0] == 0  # built from the files
    assert cli("init").exit_code == 0  # type: ignore[operator]
    assert digest(db) == before  # in sync: SQLite's init writes nothing (docs/usage.md)
    (tmp_path / "schemas" / "003.sql").write_text("CREATE TABLE tags (id INTEGER PRIMARY KEY);\n")
    assert cli("init").exit_code == 0  # type: ignore[operator]
    assert len(state_rows(db)) == 1  # recorded in the transaction that applied


def test_schema_only_validation_reads_the_files_themselves(planted: Path, cli: object) -> None:
    (planted.parent / "schemas" / "003_bad.sql").write_text("CREATE TABLE broken (\n")
    result = cli("validate", "--schema-only")  # type: ignore[operator]
    assert result.exit_code == 65, result.stdout


@pytest.mark.parametrize(
    "change",
    ["file bytes", "file name", "dbinit version", "sqlite version", "app functions", "format"],
)
def test_any_change_of_the_key_builds_from_the_files(
    planted: Path, cli: object, monkeypatch: pytest.MonkeyPatch, change: str
) -> None:
    schemas = planted.parent / "schemas"
    env: dict[str, str] = {}
    if change == "file bytes":
        (schemas / "002_notes.sql").write_text(FILES["002_notes.sql"] + "-- a comment\n")
    elif change == "file name":
        (schemas / "002_notes.sql").rename(schemas / "003_notes.sql")
    elif change == "dbinit version":
        monkeypatch.setattr(dbinit, "__version__", "99.0.0")
    elif change == "sqlite version":
        monkeypatch.setattr(sqlite3, "sqlite_version", "9.99.0")
    elif change == "app functions":
        env["DBINIT_APP_FUNCTIONS"] = "slugify"
    else:
        monkeypatch.setattr(remember, "FORMAT", remember.FORMAT + 1)
    code, report = check(cli, env=env)
    assert code == 0, report["changes"]


@pytest.mark.parametrize(
    "damage",
    [
        "seal",
        "truncated",
        "unknown class",
        "foreign class",
        "deep nesting",
        "not json",
        "wrong type",
        "a field of the wrong type",
        "a field too many",
    ],
)
def test_a_stored_model_that_does_not_load_is_ignored(
    planted: Path, cli: object, foreign_model: str, damage: str
) -> None:
    if damage == "seal":  # the foreign model with a seal that does not match it
        plant(planted, foreign_model, seal="0" * 64)
    elif damage == "truncated":
        plant(planted, foreign_model[: len(foreign_model) // 2])
    elif damage == "unknown class":
        plant(planted, foreign_model.replace('["Table",', '["Popen",', 1))
    elif damage == "foreign class":  # a real class, but not one a model may hold
        plant(planted, json.dumps({"classes": [["Path", None]], "root": [4, "/etc/passwd"]}))
    elif damage == "a field of the wrong type":  # sealed anew, as a forger would
        plant(planted, foreign_model.replace('"BLOB"', "[0, 1, 2]", 1))
    elif damage == "a field too many":
        doc = json.loads(foreign_model)
        doc["classes"][0][1].append("extra")
        plant(planted, json.dumps(doc))
    elif damage == "deep nesting":
        plant(planted, '{"t":[' * 200_000 + "]}" * 200_000)
    elif damage == "not json":
        plant(planted, "\x00garbage")
    else:
        plant(planted, json.dumps({"classes": [], "root": [0, 1, 2]}))
    code, report = check(cli)
    assert code == 0, report["changes"]
    assert report["error"] is None


def test_a_trigger_on_the_state_table_never_runs(tmp_path: Path, cli: object) -> None:
    write_schema(tmp_path / "schemas", FILES)
    assert cli("init").exit_code == 0  # type: ignore[operator]
    db = tmp_path / "app.db"
    with sqlite3.connect(db) as conn:
        conn.execute("INSERT INTO users (email) VALUES ('a@x.io'), ('b@x.io')")
        conn.execute("DELETE FROM _dbinit_state")
        conn.execute(
            "CREATE TRIGGER wipe AFTER INSERT ON _dbinit_state BEGIN DELETE FROM users; END"
        )
    (tmp_path / "schemas" / "003.sql").write_text("CREATE TABLE tags (id INTEGER PRIMARY KEY);\n")
    result = cli("init")  # type: ignore[operator]
    assert result.exit_code == 0, result.stderr
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT count(*) FROM users").fetchone() == (2,)
        assert conn.execute("SELECT count(*) FROM _dbinit_state").fetchone() == (0,)
        assert conn.execute("SELECT count(*) FROM tags").fetchone() == (0,)  # applied


def test_the_state_table_is_never_drift_nor_exported(tmp_path: Path, cli: object) -> None:
    write_schema(tmp_path / "schemas", FILES)
    assert cli("init").exit_code == 0  # type: ignore[operator]
    assert cli("validate").exit_code == 0  # type: ignore[operator]
    result = cli("inspect")  # type: ignore[operator]
    assert result.exit_code == 0 and "_dbinit_state" not in result.stdout
