"""The right exit code for the rarer bad inputs (issue 14 §5), SQLite side.

* a history row whose JSON nests deeper than a parser recurses: a tampered row
  (65, DB_005), never a traceback (70);
* a backup name too long for the filesystem: 73 (cannot create), the database
  untouched, no file left behind;
* `--timeout` stops the schema load itself (reading, splitting, executing,
  reading back the files): 75, `time_limit`, naming the load and `--timeout`;
* `check` on a WAL database leaves no `-wal`/`-shm` files of its own;
* a `.env` that is a folder: 78 naming it.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import child_env, digest, make_db, write_schema
from tests.conftest import error_of as _error
from tests.test_hostile import run_proc

HANG_GUARD = 300  # seconds: a hang guard only, far above any honest run


# --- a history row nested too deep ---------------------------------------------------


def test_history_row_with_deeply_nested_json_is_a_tampered_row(cli: Any, tmp_path: Path) -> None:
    write_schema(tmp_path / "schemas", {"a.sql": "CREATE TABLE t (a INTEGER);\n"})
    assert cli("init").exit_code == 0
    conn = sqlite3.connect(tmp_path / "app.db")
    conn.execute("UPDATE _dbinit_history SET statements = ?", ("[" * 100_000 + "]" * 100_000,))
    conn.commit()
    conn.close()
    err = _error(cli("history", "-f", "json"), 65, "DB_005")
    assert "_dbinit_history" in err["message"], err
    assert "statements" in err["message"], err


# --- a backup name too long for the filesystem ---------------------------------------


def test_backup_name_too_long_for_the_filesystem_is_73(cli: Any, tmp_path: Path) -> None:
    limit = os.pathconf(tmp_path, "PC_NAME_MAX")
    # The longest database name dbinit creates (its -journal must fit too): the
    # backup's name, `NAME.STAMP.TAG-PID-RANDOM.bak.partial`, cannot.
    name = "d" * (limit - len("-journal") - len(".db")) + ".db"
    write_schema(tmp_path / "schemas", {"a.sql": "CREATE TABLE t (a INTEGER);\n"})
    res = cli("init", "-d", name, "-f", "json")
    assert res.exit_code == 0, res.stdout
    make_db(tmp_path / name, "INSERT INTO t VALUES (1), (2);")
    write_schema(tmp_path / "schemas", {"a.sql": "CREATE TABLE t (a TEXT);\n"})
    before = digest(tmp_path / name)
    err = _error(cli("repair", "--yes", "-d", name, "-f", "json"), 73, "DB_009")
    assert "backup" in err["message"].lower(), err
    assert "too long" in err["message"], err
    assert "--no-backup" in err["message"], err
    assert digest(tmp_path / name) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([name, "schemas"])


# --- --timeout stops the schema load ---------------------------------------------------


def test_timeout_stops_the_load_of_a_huge_schema_file(tmp_path: Path) -> None:
    """A 50 MB literal takes seconds to split, parse and read back; under
    `--timeout 1` the load stops with the time limit instead of running on."""
    folder = tmp_path / "schemas"
    folder.mkdir()
    with open(folder / "big.sql", "w") as f:
        f.write("CREATE TABLE t (a TEXT DEFAULT '")
        f.write("x" * 50_000_000)
        f.write("');\n")
    res = run_proc(tmp_path, "check", "--timeout", "1", "-f", "json", "--quiet", timeout=HANG_GUARD)
    err = _error(res, 75, "DB_012")
    assert err["error"] == "time_limit"
    assert "schema" in err["message"] and "--timeout" in err["message"], err
    assert not (tmp_path / "app.db").exists()


# --- check on a WAL database -----------------------------------------------------------


def _wal_db(tmp_path: Path) -> Path:
    write_schema(tmp_path / "schemas", {"a.sql": "CREATE TABLE t (a INTEGER);\n"})
    db = make_db(tmp_path / "app.db", "CREATE TABLE t (a INTEGER); INSERT INTO t VALUES (1);")
    conn = sqlite3.connect(db)
    assert conn.execute("PRAGMA journal_mode = WAL").fetchone() == ("wal",)
    conn.close()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["app.db", "schemas"]
    return db


@pytest.mark.parametrize("command", [("check",), ("validate",), ("inspect",), ("history",)])
def test_reading_a_wal_database_leaves_no_wal_or_shm_files(
    tmp_path: Path, command: tuple[str, ...]
) -> None:
    db = _wal_db(tmp_path)
    before = digest(db)
    res = run_proc(tmp_path, *command, "-f", "json", "--quiet", timeout=HANG_GUARD)
    assert res.exit_code == 0, (res.stdout, res.stderr)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["app.db", "schemas"]
    assert digest(db) == before
    conn = sqlite3.connect(db)  # still a WAL database, its row intact
    assert conn.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    assert conn.execute("SELECT a FROM t").fetchall() == [(1,)]
    conn.close()


APP = """
import sqlite3, sys
conn = sqlite3.connect(sys.argv[1], isolation_level=None)
conn.execute("SELECT count(*) FROM t").fetchone()
print("ready", flush=True)
sys.stdin.read()
conn.execute("INSERT INTO t VALUES (2)")
print(conn.execute("SELECT count(*) FROM t").fetchone()[0], flush=True)
"""


def test_check_beside_a_running_app_leaves_its_wal_files_alone(tmp_path: Path) -> None:
    """The app's own `-wal`/`-shm` files stay while it runs (removing them under
    a live connection would corrupt it), and the app goes on writing."""
    db = _wal_db(tmp_path)
    app = subprocess.Popen(
        [sys.executable, "-c", APP, str(db)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env=child_env(),
    )
    try:
        assert app.stdout is not None and app.stdin is not None
        assert app.stdout.readline().strip() == "ready"
        assert (tmp_path / "app.db-wal").exists() and (tmp_path / "app.db-shm").exists()
        res = run_proc(tmp_path, "check", "-f", "json", "--quiet", timeout=HANG_GUARD)
        assert res.exit_code == 0, (res.stdout, res.stderr)
        assert (tmp_path / "app.db-wal").exists() and (tmp_path / "app.db-shm").exists()
        out, _ = app.communicate("", timeout=HANG_GUARD)
        assert app.returncode == 0
        assert out.strip() == "2"
    finally:
        if app.poll() is None:
            app.kill()
            app.wait()
    conn = sqlite3.connect(db)
    assert conn.execute("SELECT count(*) FROM t").fetchone() == (2,)
    assert conn.execute("PRAGMA quick_check").fetchone() == ("ok",)
    conn.close()


# --- a .env that is a folder -----------------------------------------------------------


@pytest.mark.parametrize("command", ["check", "init", "validate"])
def test_a_dotenv_that_is_a_folder_is_a_configuration_error(
    cli: Any, tmp_path: Path, command: str
) -> None:
    write_schema(tmp_path / "schemas", {"a.sql": "CREATE TABLE t (a INTEGER);\n"})
    (tmp_path / ".env").mkdir()
    err = _error(cli(command, "-f", "json"), 78, "DB_008")
    assert ".env" in err["message"], err
    assert "folder" in err["message"], err
    assert not (tmp_path / "app.db").exists()


def test_a_dotenv_that_is_a_folder_is_78_in_a_real_process(tmp_path: Path) -> None:
    write_schema(tmp_path / "schemas", {"a.sql": "CREATE TABLE t (a INTEGER);\n"})
    (tmp_path / ".env").mkdir()
    res = run_proc(tmp_path, "check", timeout=HANG_GUARD)
    assert res.exit_code == 78, (res.stdout, res.stderr)
    assert ".env" in res.stdout + res.stderr
    assert "Traceback" not in res.stderr
