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

TIMEOUT = 20  # a hang guard, far above any honest run
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
    assert sorted(p.name for p in tmp_path.iterdir()) == ["app.db", "backups", "schemas"]


# --- signals ---------------------------------------------------------------------------

SIGNALS = [
    pytest.param(signal.SIGTERM, 143, id="SIGTERM"),
    pytest.param(signal.SIGINT, 130, id="SIGINT"),
]

ITEMS_LIVE = """
CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT, qty INTEGER);
CREATE INDEX idx_items_name ON items(name);
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 300000)
INSERT INTO items (name, qty) SELECT hex(randomblob(16)), i FROM n;
"""
# NOT NULL and DEFAULT change: a rebuild copying all 300,000 rows.
ITEMS_DECLARED = {
    "001.sql": (
        "CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT NOT NULL DEFAULT '',"
        " qty INTEGER NOT NULL DEFAULT 0);\n"
        "CREATE INDEX idx_items_name ON items(name);\n"
    )
}


def signal_when_logged(proc: subprocess.Popen[str], event: str, signum: int) -> str:
    """Read the child's JSON log lines until `event`, then send `signum`; the
    lines read so far are returned (the rest is left for `finish`)."""
    assert proc.stderr is not None
    seen = []
    for line in proc.stderr:
        seen.append(line)
        if f'"event": "{event}"' in line:
            proc.send_signal(signum)
            return "".join(seen)
    pytest.fail(f"the child ended before logging {event}: {''.join(seen)[-2000:]}")


def assert_interrupted(code: int, out: str, err: str, signum: int, expected: int) -> None:
    assert code == expected, f"{out} {err[-3000:]}"
    assert "Traceback" not in err
    doc = one_document(out)
    assert doc["status"] == "error"
    assert doc["exit_code"] == expected
    assert doc["applied"] == []
    error = doc["error"]
    assert isinstance(error, dict)
    assert set(error) == {"error", "message", "details", "retry_after", "error_code"}
    assert error["error"] == "interrupted" and error["error_code"] == "DB_011", error
    assert signal.Signals(signum).name in str(error["message"])
    assert "rolled back" in str(error["message"])


@pytest.mark.parametrize(("signum", "expected"), SIGNALS)
def test_a_signal_in_the_middle_of_a_large_rebuild_rolls_everything_back(
    tmp_path: Path, signum: int, expected: int
) -> None:
    db = make_db(tmp_path / "app.db", ITEMS_LIVE)
    write_schema(tmp_path / "schemas", ITEMS_DECLARED)
    before = digest(db)
    proc = start(tmp_path, "repair", "--yes", "-f", "json")
    # The backup is done and the rebuild of 300,000 rows starts: stop it now.
    head = signal_when_logged(proc, "backup.done", signum)
    code, out, err = finish(proc)
    assert_interrupted(code, out, err, signum, expected)
    assert one_document(out)["backup"] is None
    assert digest(db) == before, "the database changed"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["app.db", "schemas"], head + err
    conn = sqlite3.connect(db)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        assert conn.execute("SELECT count(*) FROM items").fetchone() == (300000,)
    finally:
        conn.close()


@pytest.mark.parametrize(("signum", "expected"), SIGNALS)
def test_a_signal_while_init_waits_for_the_lock(tmp_path: Path, signum: int, expected: int) -> None:
    db = make_db(tmp_path / "app.db", "CREATE TABLE other (id INTEGER PRIMARY KEY);")
    write_schema(tmp_path / "schemas", BACKUP_SCHEMA)
    before = digest(db)
    holder = sqlite3.connect(db, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # another process holds the write lock
    try:
        proc = start(tmp_path, "init", "-f", "json", "--timeout", "100")
        signal_when_logged(proc, "database.busy", signum)
        code, out, err = finish(proc)
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert_interrupted(code, out, err, signum, expected)
    assert digest(db) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["app.db", "schemas"]


@pytest.mark.parametrize(("signum", "expected"), SIGNALS)
def test_a_signal_during_the_backup_removes_the_partial_copy(
    tmp_path: Path, signum: int, expected: int
) -> None:
    db = make_db(tmp_path / "app.db", ITEMS_LIVE)
    write_schema(tmp_path / "schemas", ITEMS_DECLARED)
    before = digest(db)
    backups = tmp_path / "backups"
    proc = start(tmp_path, "repair", "--yes", "-f", "json", "--backup-dir", str(backups))
    # The write lock is taken and the copy starts right after `diff.revalidated`.
    signal_when_logged(proc, "diff.revalidated", signum)
    code, out, err = finish(proc)
    assert_interrupted(code, out, err, signum, expected)
    assert digest(db) == before
    # The folder may not have been made yet when the signal came; it holds nothing.
    assert not backups.exists() or list(backups.iterdir()) == []
    assert {p.name for p in tmp_path.iterdir()} <= {"app.db", "backups", "schemas"}


def test_the_library_installs_no_signal_handler_and_a_ctrl_c_rolls_back(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from dbinit import ensure_database_ready
    from dbinit.sqlite import apply

    handlers = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)}
    db = make_db(tmp_path / "app.db", "CREATE TABLE whoami (name TEXT NOT NULL);")
    write_schema(tmp_path / "schemas", BACKUP_SCHEMA)
    before = digest(db)

    def ctrl_c(*_: object) -> None:  # Ctrl-C after the statements ran, before the commit
        raise KeyboardInterrupt

    monkeypatch.setattr(apply, "_record", ctrl_c)
    with pytest.raises(KeyboardInterrupt):
        ensure_database_ready(database=str(db), schema_dir=str(tmp_path / "schemas"))
    assert digest(db) == before
    fresh = tmp_path / "new" / "app.db"
    with pytest.raises(KeyboardInterrupt):
        ensure_database_ready(database=str(fresh), schema_dir=str(tmp_path / "schemas"))
    assert not fresh.exists()  # the file this run created is removed again
    assert {s: signal.getsignal(s) for s in handlers} == handlers


# --- the confirmation prompt on a real terminal ----------------------------------------


def prompt_answer(cwd: Path, keys: bytes) -> tuple[int, str, str]:
    """Run `dbinit repair -f json` on a pseudo-terminal (stdin and stderr), answer
    the prompt with `keys`; (exit code, stdout, what the terminal showed)."""
    import pty
    import select

    report = cwd / "report.json"
    pid, master = pty.fork()
    if pid == 0:  # the child: its terminal is the pty; stdout goes to a file
        fd = os.open(report, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        os.dup2(fd, 1)
        os.chdir(cwd)
        os.execve(DBINIT, [DBINIT, "repair", "-f", "json"], child_env(DBINIT_LOG_LEVEL="error"))
    shown = b""
    deadline = time.monotonic() + TIMEOUT  # a hang guard only
    answered = False
    while True:
        ready, _, _ = select.select([master], [], [], 1.0)
        if not ready:
            if time.monotonic() > deadline:
                os.kill(pid, signal.SIGKILL)
                pytest.fail(f"no prompt: {shown.decode(errors='replace')}")
            continue
        try:
            chunk = os.read(master, 4096)
        except OSError:  # EIO: the child closed the terminal
            break
        if not chunk:
            break
        shown += chunk
        if not answered and b"Apply these changes?" in shown:
            os.write(master, keys)
            answered = True
    _, status = os.waitpid(pid, 0)
    os.close(master)
    return os.waitstatus_to_exitcode(status), report.read_text(), shown.decode(errors="replace")


@pytest.mark.parametrize("keys", [b"\x03", b"\x04"], ids=["ctrl-c", "ctrl-d"])
def test_ctrl_c_or_ctrl_d_at_the_prompt_is_a_refusal(tmp_path: Path, keys: bytes) -> None:
    db = owned_db(tmp_path / "app.db", "a", 10)
    write_schema(tmp_path / "schemas", BACKUP_SCHEMA)
    before = digest(db)
    code, out, shown = prompt_answer(tmp_path, keys)
    assert code == 3, shown
    assert "Traceback" not in shown and "Internal error" not in shown, shown
    doc = one_document(out)
    assert doc["status"] == "refused"
    error = doc["error"]
    assert isinstance(error, dict) and error["error_code"] == "DB_007", error
    assert digest(db) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["app.db", "report.json", "schemas"]


def test_answering_yes_at_the_prompt_applies(tmp_path: Path) -> None:
    owned_db(tmp_path / "app.db", "a", 10)
    write_schema(tmp_path / "schemas", BACKUP_SCHEMA)
    code, out, shown = prompt_answer(tmp_path, b"y\r")
    assert code == 0, shown
    assert one_document(out)["status"] == "applied"


SLOW_LIVE = """
CREATE TABLE slow (id INTEGER PRIMARY KEY, a INTEGER);
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 40000)
INSERT INTO slow (a) SELECT i FROM n;
"""
# A CHECK that costs a few milliseconds a row: copying 40,000 rows takes minutes,
# far longer than the hang guard of `finish`.
SLOW_DECLARED = {
    "001.sql": "CREATE TABLE slow (id INTEGER PRIMARY KEY,"
    " a INTEGER CHECK (length(printf('%.*c', 1000000 + a % 2, 'x')) > 0));\n"
}


@pytest.mark.parametrize(("signum", "expected"), SIGNALS)
def test_a_signal_stops_a_long_statement_without_waiting_for_its_end(
    tmp_path: Path, signum: int, expected: int
) -> None:
    """A SIGTERM (what `docker stop` sends, with SIGKILL ten seconds later) stops a
    rebuild's copy while SQLite is still inside it: a copy that would take minutes
    is interrupted and rolled back, within the hang guard of `finish` (on the old
    code the signal waited for the statement's end, long past the guard)."""
    db = make_db(tmp_path / "app.db", SLOW_LIVE)
    write_schema(tmp_path / "schemas", SLOW_DECLARED)
    before = digest(db)
    proc = start(tmp_path, "repair", "--yes", "--no-backup", "-f", "json")
    assert proc.stderr is not None
    head = []
    for line in proc.stderr:
        head.append(line)
        if '"event": "diff.revalidated"' in line:
            # The plan is confirmed under the lock; the copy starts within
            # milliseconds and lasts minutes: a moment later it is running.
            time.sleep(0.5)
            proc.send_signal(signum)
            break
    else:
        pytest.fail("".join(head)[-2000:])
    code, out, err = finish(proc)
    assert_interrupted(code, out, err, signum, expected)
    assert digest(db) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["app.db", "schemas"]
