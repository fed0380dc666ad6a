"""dbinit's own history table changed by someone else.

* A `_dbinit_history` that dbinit cannot write to (another shape) is found
  before anything is written, by `init`, `repair` and their dry runs alike:
  refused (3, DB_007) naming the problem and the fix, nothing changed.
* `inspect` says which user objects sit on the history table (it cannot
  print them as schema: schema files cannot declare them).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import digest, make_db, write_schema

SCHEMA = {"001.sql": "CREATE TABLE t (id INTEGER PRIMARY KEY, x TEXT);\n"}


@pytest.fixture
def tampered(tmp_path: Path) -> Path:
    write_schema(tmp_path / "schemas", SCHEMA)
    make_db(tmp_path / "app.db", "CREATE TABLE _dbinit_history(x);")
    return tmp_path


@pytest.mark.parametrize(
    "args",
    [
        ("init",),
        ("init", "--dry-run"),
        ("repair", "--yes"),
        ("repair", "--dry-run"),
        ("repair", "--yes", "--no-backup"),
    ],
)
def test_a_history_table_of_another_shape_is_refused_before_writing(
    cli, tampered: Path, monkeypatch: pytest.MonkeyPatch, args: tuple[str, ...]
) -> None:
    monkeypatch.chdir(tampered)
    before = digest(tampered / "app.db")
    res = cli(*args, "-f", "json")
    assert res.exit_code == 3, res.stdout
    error = res.json()["error"]
    assert error["error_code"] == "DB_007", error
    assert "_dbinit_history" in error["message"], error
    assert "applied_at" in error["message"], error  # what is wrong with it
    assert "rename" in error["message"] and "drop" in error["message"], error  # the fix
    assert digest(tampered / "app.db") == before
    assert sorted(p.name for p in tampered.iterdir()) == ["app.db", "schemas"]


def test_an_in_sync_database_with_a_tampered_history_is_left_alone(
    cli, tampered: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tampered)
    make_db(tampered / "app.db", SCHEMA["001.sql"])
    before = digest(tampered / "app.db")
    res = cli("init", "-f", "json")
    assert res.exit_code == 0, res.stdout  # nothing to write, nothing to record
    assert digest(tampered / "app.db") == before


def test_after_dropping_it_the_next_init_records_a_new_one(
    cli, tampered: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tampered)
    assert cli("init").exit_code == 3
    make_db(tampered / "app.db", "DROP TABLE _dbinit_history;")
    assert cli("init").exit_code == 0
    res = cli("history", "-f", "json")
    assert res.exit_code == 0, res.stdout
    assert len(res.json()["history"]) == 1


def test_history_on_a_tampered_table_says_what_to_do(
    cli, tampered: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tampered)
    res = cli("history", "-f", "json")
    message = res.json()["error"]["message"]
    assert "rename or drop it" in message
    assert "once it is gone" in message  # the new one is recorded only then


def test_the_record_refuses_under_the_lock_with_the_same_message(tmp_path: Path) -> None:
    import sqlite3

    from dbinit.errors import Refused
    from dbinit.sqlite.apply import _record
    from dbinit.sqlite.introspect import history_problem

    conn = sqlite3.connect(tmp_path / "x.db", isolation_level=None)
    conn.execute("CREATE TABLE _dbinit_history(x)")
    problem = history_problem(conn)
    assert problem is not None and "applied_at" in problem
    history = {"command": "init", "version": "0", "checksum": "c", "started": 0.0}
    with pytest.raises(Refused) as caught:
        _record(conn, history, (), 0)
    assert problem in caught.value.message
    conn.close()


def test_inspect_names_the_objects_on_the_history_table(
    cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    write_schema(tmp_path / "schemas", SCHEMA)
    assert cli("init").exit_code == 0
    make_db(
        tmp_path / "app.db",
        "CREATE INDEX hist_cmd ON _dbinit_history(command);\n"
        "CREATE TRIGGER hist_spy AFTER INSERT ON _dbinit_history BEGIN SELECT 1; END;\n",
    )
    res = cli("inspect")
    assert res.exit_code == 0, res.stdout
    for name in ("index hist_cmd", "trigger hist_spy"):
        assert name in res.stdout, res.stdout
    assert "dbinit repair --prune" in res.stdout
    assert "cannot declare" in res.stdout
    assert "CREATE TABLE" in res.stdout  # the schema itself is still printed
    # the note is a SQL comment: the printed schema is still the schema
    (tmp_path / "s").mkdir()
    (tmp_path / "s" / "all.sql").write_text(res.stdout)
    assert cli("check", "-s", "s").exit_code == 0
