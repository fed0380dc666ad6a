"""Interrupted runs and backups that belong to their database, with real processes.

* SIGTERM (what Docker and Railway send on stop) and SIGINT during a command:
  everything is rolled back, this run's temporary files are removed, the one
  JSON report is printed (status "error", `interrupted`, `DB_011`), no
  traceback; exit 143 (SIGTERM) or 130 (SIGINT).
* Ctrl-C or Ctrl-D at `repair`'s confirmation prompt is a refusal (exit 3,
  `DB_007`), checked on a real pseudo-terminal.
* Two databases with the same file name backed up into one folder at the same
  time never share a temporary name, never delete each other's files, and each
  report names a backup that holds its own database's rows.
"""

from __future__ import annotations

import json
import os
import re
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import child_env, digest, make_db, write_schema

TIMEOUT = 120  # a hang guard, far above any honest run
DBINIT = str(Path(sys.executable).parent / "dbinit")


def start(cwd: Path, *args: str, stdin: int | None = subprocess.DEVNULL) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [DBINIT, *args],
        cwd=cwd,
        env=child_env(DBINIT_RETRY_DELAY="0.05", DBINIT_LOG_FORMAT="json"),
        stdin=stdin,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def finish(proc: subprocess.Popen[str]) -> tuple[int, str, str]:
    try:
        out, err = proc.communicate(timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, err = proc.communicate()
        pytest.fail(f"dbinit did not finish in {TIMEOUT} s: {err[-2000:]}")
    return proc.returncode, out, err


def one_document(out: str) -> dict[str, object]:
    doc = json.loads(out)  # raises on anything but exactly one JSON document
    assert isinstance(doc, dict)
    return doc


# --- backups that belong to their database ------------------------------------------

BACKUP_SCHEMA = {
    "001.sql": (
        "CREATE TABLE whoami (name TEXT NOT NULL);\n"
        "CREATE TABLE t (id INTEGER PRIMARY KEY, x TEXT);\n"
        "CREATE TABLE added (id INTEGER PRIMARY KEY);\n"
    )
}


def owned_db(path: Path, owner: str, rows: int) -> Path:
    """A database that says whose it is, lacking the declared table `added`."""
    path.parent.mkdir(parents=True, exist_ok=True)
    make_db(
        path,
        "CREATE TABLE whoami (name TEXT NOT NULL);\n"
        f"INSERT INTO whoami VALUES ('{owner}');\n"
        "CREATE TABLE t (id INTEGER PRIMARY KEY, x TEXT);\n"
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n "
        f"WHERE i < {rows}) INSERT INTO t (x) SELECT hex(randomblob(200)) FROM n;\n",
    )
    return path


def owner_of(path: Path) -> str:
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        (name,) = conn.execute("SELECT name FROM whoami").fetchone()
    finally:
        conn.close()
    return str(name)


def test_same_named_databases_repaired_at_once_keep_their_own_backups(tmp_path: Path) -> None:
    schemas = write_schema(tmp_path / "schemas", BACKUP_SCHEMA)
    backups = tmp_path / "backups"
    owners = ["a", "b", "c", "d"]
    dbs = {o: owned_db(tmp_path / o / "app.db", o, 20_000) for o in owners}
    procs = {
        o: start(
            tmp_path,
            "repair",
            "--yes",
            "-f",
            "json",
            "-d",
            str(db),
            "-s",
            str(schemas),
            "--backup-dir",
            str(backups),
        )
        for o, db in dbs.items()
    }
    results = {o: finish(p) for o, p in procs.items()}
    named: dict[str, Path] = {}
    for o, (code, out, err) in results.items():
        assert code == 0, f"{o}: {out} {err[-2000:]}"
        doc = one_document(out)
        named[o] = Path(str(doc["backup"]))
    assert len(set(named.values())) == len(owners), named
    for o, backup in named.items():
        assert backup.parent == backups
        assert owner_of(backup) == o, f"{backup.name} holds {owner_of(backup)}'s rows, not {o}'s"
    left = sorted(p.name for p in backups.iterdir())
    assert sorted(p.name for p in named.values()) == left, left


def test_repair_leaves_another_databases_partial_backup_alone(cli, tmp_path: Path) -> None:
    schemas = write_schema(tmp_path / "schemas", BACKUP_SCHEMA)
    backups = tmp_path / "backups"
    a = owned_db(tmp_path / "a" / "app.db", "a", 10)
    b = owned_db(tmp_path / "b" / "app.db", "b", 10)
    # b's run has its backup half written right now.
    res_b = cli("repair", "--yes", "-f", "json", "-d", str(b), "-s", str(schemas),
                "--backup-dir", str(backups))  # fmt: skip
    assert res_b.exit_code == 0, res_b.stdout
    b_backup = Path(res_b.json()["backup"])
    in_progress = b_backup.with_name(b_backup.name + ".partial")
    b_backup.rename(in_progress)
    assert owner_of(in_progress) == "b"
    b_bytes = digest(in_progress)
    journal = in_progress.with_name(in_progress.name + "-journal")
    journal.write_bytes(b"b's journal")
    res_a = cli("repair", "--yes", "-f", "json", "-d", str(a), "-s", str(schemas),
                "--backup-dir", str(backups))  # fmt: skip
    assert res_a.exit_code == 0, res_a.stdout
    assert digest(in_progress) == b_bytes
    assert journal.read_bytes() == b"b's journal"
    assert owner_of(Path(res_a.json()["backup"])) == "a"


def test_backup_name_says_which_database_and_which_run(cli, tmp_path: Path) -> None:
    schemas = write_schema(tmp_path / "schemas", BACKUP_SCHEMA)
    backups = tmp_path / "backups"
    names = []
    for owner in ("a", "b"):
        db = owned_db(tmp_path / owner / "app.db", owner, 10)
        res = cli("repair", "--yes", "-f", "json", "-d", str(db), "-s", str(schemas),
                  "--backup-dir", str(backups))  # fmt: skip
        assert res.exit_code == 0, res.stdout
        names.append(Path(res.json()["backup"]).name)
    pattern = re.compile(r"^app\.db\.\d{8}T\d{6}Z\.([0-9a-f]{8})-\d+-[0-9a-f]{6}\.bak$")
    tags = []
    for name in names:
        m = pattern.match(name)
        assert m, name
        tags.append(m.group(1))
    assert tags[0] != tags[1], names  # the path tag tells the two app.db apart


def test_a_backup_that_fails_leaves_nothing_behind(tmp_path: Path) -> None:
    import resource

    schemas = write_schema(tmp_path / "schemas", BACKUP_SCHEMA)
    db = owned_db(tmp_path / "app.db", "a", 20_000)
    backups = tmp_path / "backups"
    before = digest(db)
    limit = db.stat().st_size // 2

    def small_files() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    proc = subprocess.run(
        [DBINIT, "repair", "--yes", "-f", "json", "-d", str(db), "-s", str(schemas),
         "--backup-dir", str(backups)],
        cwd=tmp_path, env=child_env(), capture_output=True, text=True, timeout=TIMEOUT,
        preexec_fn=small_files,
    )  # fmt: skip
    assert proc.returncode == 74, proc.stdout + proc.stderr[-2000:]
    doc = one_document(proc.stdout)
    assert doc["backup"] is None
    assert digest(db) == before
    assert list(backups.iterdir()) == []
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a", "app.db", "backups", "schemas"][1:]
