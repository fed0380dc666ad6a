"""What a person sees (issue 9, sections 3 and 7): secrets masked, names shown
as they are (never read as rich markup, never as raw terminal control codes),
the SQL shown and recorded exactly as it ran, quiet terminals, one rule for
usage errors, readable `--help`.

Terminal behaviour is tested through real pseudo-terminals (`pty`).
"""

from __future__ import annotations

import io
import json
import os
import pty
import select
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from rich.console import Console

from dbinit.errors import mask_url
from dbinit.plan import Statement
from dbinit.progress import RichProgress
from dbinit.sqlite.plan import bound
from tests.conftest import USERS_ONLY, child_env, make_db, write_schema

DBINIT = str(Path(sys.executable).parent / "dbinit")
LOGGING = ("--log-format", "json", "--log-level", "debug")

# --- 3a. secrets ------------------------------------------------------------------------

# (URL, the secret that must never be shown, a harmless part that stays visible)
SECRET_URLS = [
    ("libsql://db-org.turso.io?authToken=eyJhbGciOi.TURSO1", "TURSO1", "db-org.turso.io"),
    ("sqlite+libsql://db-org.turso.io/?authToken=TURSO2&tls=1", "TURSO2", "db-org.turso.io"),
    ("sqlite:///app.db?key=CIPHER3", "CIPHER3", "app.db"),
    ("sqlite:///app.db?mode=ro&hexkey=CAFE4BABE", "CAFE4BABE", "mode=ro"),
    ("file:app.db?cipher=sqlcipher&key=CIPHER5", "CIPHER5", "app.db"),
    ("sqlite:///a.db?auth_token=TOKEN6", "TOKEN6", "a.db"),
    ("sqlite:///a.db?credentials=CRED7", "CRED7", "a.db"),
    ("sqlite:///a.db?Key=CASE8;vfs=unix", "CASE8", "vfs=unix"),
    ("sqlite:///a.db?immutable=1&SECRET9", "SECRET9", "immutable=1"),
    ("sqlite:///a.db#token=FRAG10", "FRAG10", "a.db"),
    ("postgres://admin:pass word11@db.example/app", "word11", "db.example"),
    ("postgres://admin:pass word12/x@y@db.example/app", "word12", "db.example"),
    ("http://u:pw%20word13@h.example/x", "word13", "h.example"),
    ("redis://:REDIS14@cache.example:6379/0", "REDIS14", "cache.example"),
    ("mysql://u:MY15@h/d?ssl_key=KEY16", "MY15", "mysql://"),
    ("mysql://u@h/d?ssl_key=KEY16", "KEY16", "mysql://"),
    ("sqlite:///a.db?key=QU'OTE17", "OTE17", "a.db"),
]


@pytest.mark.parametrize(("url", "secret", "kept"), SECRET_URLS, ids=[s for _, s, _ in SECRET_URLS])
def test_mask_url_hides_every_secret(url: str, secret: str, kept: str) -> None:
    for text in (url, f"cannot open {url!r} now", f"a\n  at {url} (retry)\n", f'"{url}"'):
        masked = mask_url(text)
        assert secret not in masked, masked
        assert kept in masked, masked
        assert "***" in masked


def test_mask_url_keeps_harmless_text() -> None:
    for text in (
        "sqlite:///data/app.db",
        "sqlite:///app.db?mode=ro&cache=shared&immutable=1&nolock=1&psow=0&vfs=unix",
        "/srv/[prod]/app.db",
        "details: sqlite3.OperationalError: unable to open database file",
        "postgres://db.example:5432/app",
        "SELECT 'a?b=c' FROM t WHERE x = ?",
    ):
        assert mask_url(text) == text


def test_mask_url_is_linear_on_hostile_text() -> None:
    # Many URL starts without an end: one pass, not one pass per start.
    text = "ab://b:c " * 20_000 + "@" + "sqlite:y?z=" * 20_000 + " " + "ab://" * 20_000
    masked = mask_url(text)
    assert masked.count("***") >= 1


def _no_secret(secret: str, *texts: str) -> None:
    for text in texts:
        assert secret not in text, text


@pytest.mark.parametrize(("url", "secret", "kept"), SECRET_URLS, ids=[s for _, s, _ in SECRET_URLS])
def test_secret_urls_are_masked_in_reports_and_logs(
    cli, shipped_schemas: Path, tmp_path: Path, url: str, secret: str, kept: str
) -> None:
    for fmt in ("json", "text"):
        for log_format in ("json", "console"):
            res = cli(
                "check", "-f", fmt, "-d", url, "--log-format", log_format, "--log-level", "debug"
            )
            assert res.exit_code == 78, (res.stdout, res.stderr)
            _no_secret(secret, res.stdout, res.stderr)
            if fmt == "json":
                doc = json.loads(res.stdout)
                assert doc["error"]["error_code"] == "DB_008"
                assert "***" in doc["database"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["schemas"]


def test_turso_database_url_from_the_environment_is_masked(
    cli, shipped_schemas: Path, tmp_path: Path
) -> None:
    env = {"DATABASE_URL": "sqlite+libsql://db-org.turso.io?authToken=eyJ.TURSO-ENV"}
    for command in ("check", "init", "validate"):
        res = cli(command, "-f", "json", *LOGGING, env=env)
        assert res.exit_code == 78, (res.stdout, res.stderr)
        _no_secret("TURSO-ENV", res.stdout, res.stderr)
        assert "authToken=***" in res.json()["database"]


# --- 3b. markup and control characters -------------------------------------------------


def test_markup_in_a_table_name_is_shown_not_parsed(cli, tmp_path: Path) -> None:
    write_schema(
        tmp_path / "schemas",
        {"001.sql": 'CREATE TABLE "prices[/]" (id INTEGER PRIMARY KEY, "[bold]x" TEXT);\n'},
    )
    res = cli("init", "--dry-run")
    assert res.exit_code == 0, (res.stdout, res.stderr)
    assert "prices[/]" in res.stdout
    res = cli("init")
    assert res.exit_code == 0, (res.stdout, res.stderr)
    assert "Applied" in res.stdout
    make_db(tmp_path / "other.db", 'CREATE TABLE "prices[/]" (id INTEGER PRIMARY KEY);')
    res = cli("check", "-d", "other.db")
    assert res.exit_code == 1, (res.stdout, res.stderr)
    assert "prices[/].[bold]x" in res.stdout
    res = cli("history")
    assert res.exit_code == 0, (res.stdout, res.stderr)
    assert 'CREATE TABLE "prices[/]"' in res.stdout
    res = cli("inspect")
    assert res.exit_code == 0, (res.stdout, res.stderr)
    assert 'CREATE TABLE "prices[/]"' in res.stdout


def test_brackets_in_paths_are_kept(cli, shipped_schemas: Path, tmp_path: Path) -> None:
    (tmp_path / "[prod]").mkdir()
    res = cli("init", "-d", "[prod]/app.db")
    assert res.exit_code == 0, (res.stdout, res.stderr)
    assert "[prod]/app.db" in res.stdout
    res = cli("check", "-d", "[prod]/app.db", "-s", str(shipped_schemas))
    assert res.exit_code == 0, (res.stdout, res.stderr)
    assert "[prod]/app.db" in res.stdout
    (tmp_path / "[x]").mkdir()
    res = cli("inspect", "-d", "[prod]/app.db", "-o", "[x]/out")
    assert res.exit_code == 0, (res.stdout, res.stderr)
    assert "[x]/out" in res.stdout


ESC_NAME = "evil\x1b[2J\x1b]0;pwned\x07\x9b31m\u202ename"
ESC_SHOWN = "evil\\x1b[2J\\x1b]0;pwned\\x07\\x9b31m\\u202ename"


def test_control_characters_in_names_are_shown_escaped(cli, tmp_path: Path) -> None:
    quoted = '"' + ESC_NAME + '"'
    write_schema(tmp_path / "schemas", {"001.sql": f"CREATE TABLE {quoted} (id INTEGER);\n"})
    make_db(
        tmp_path / "app.db", f"CREATE TABLE users (id INTEGER); CREATE VIEW {quoted} AS SELECT 1;"
    )
    res = cli("check", "--log-format", "console", "--log-level", "debug")
    assert res.exit_code == 1, (res.stdout, res.stderr)
    for raw in ("\x1b", "\x07", "\x9b", "\u202e"):
        assert raw not in res.stdout and raw not in res.stderr
    assert ESC_SHOWN in res.stdout
    # JSON stays faithful: the exact name, JSON-escaped.
    res = cli("check", "-f", "json", "--log-format", "json")
    names = {c["name"] for c in res.json()["changes"]}
    assert ESC_NAME in names
    assert "\x1b" not in res.stdout  # JSON escapes it as \u001b
    # Console logs of a run that applies SQL naming it: escaped too.
    tmp = tmp_path / "fresh.db"
    res = cli("init", "-d", str(tmp), "--log-format", "console", "--log-level", "debug")
    assert res.exit_code == 3 or res.exit_code == 0, (res.stdout, res.stderr)
    assert "\x1b" not in res.stderr and "\x1b" not in res.stdout
    assert ESC_SHOWN in res.stderr or ESC_SHOWN in res.stdout


def test_progress_shows_table_names_literally() -> None:
    out = io.StringIO()
    console = Console(file=out, force_terminal=True, width=200, color_system=None)
    bar = RichProgress(console=console)
    bar.copy_started("big[/]\x1b[2J", 10**6)
    bar.copy_tick()
    bar._bar.refresh()
    bar.copy_finished()
    text = out.getvalue()
    assert "copy big[/]\\x1b[2J" in text
    assert "\x1b[2J" not in text


# --- 3c. the SQL shown and recorded is what ran ----------------------------------------


def test_statement_display_substitutes_only_real_placeholders() -> None:
    st = bound(
        "SELECT \"a?\", 'b?', [c?], `d?` /* ? */ FROM t WHERE x IN (?, ?) -- ?\nAND y = ?",
        ("q?'s", 7, "z"),
    )
    assert st.display() == (
        "SELECT \"a?\", 'b?', [c?], `d?` /* ? */ FROM t WHERE x IN ('q?''s', 7) -- ?\nAND y = 'z'"
    )
    assert Statement("SELECT 1").display() == "SELECT 1"


def test_question_mark_in_a_table_name_is_recorded_exactly(cli, tmp_path: Path) -> None:
    make_db(
        tmp_path / "app.db",
        'CREATE TABLE "a?b" (id INTEGER PRIMARY KEY AUTOINCREMENT, n TEXT);'
        "INSERT INTO \"a?b\" (n) VALUES ('1'), ('2');",
    )
    write_schema(
        tmp_path / "schemas",
        {"001.sql": 'CREATE TABLE "a?b" (id INTEGER PRIMARY KEY AUTOINCREMENT, n INTEGER);\n'},
    )
    res = cli("repair", "--yes", "-f", "json")
    assert res.exit_code == 0, (res.stdout, res.stderr)
    expected = (
        "UPDATE sqlite_sequence SET seq = (SELECT max(seq) FROM sqlite_sequence "
        "WHERE name IN ('_dbinit_new_a?b', 'a?b')) WHERE name = '_dbinit_new_a?b'"
    )
    assert expected in res.json()["applied"]
    conn = sqlite3.connect(tmp_path / "app.db")
    try:
        (recorded,) = conn.execute("SELECT statements FROM _dbinit_history").fetchone()
        seq = conn.execute("SELECT seq FROM sqlite_sequence WHERE name = 'a?b'").fetchone()
    finally:
        conn.close()
    assert expected in json.loads(recorded)
    assert seq == (2,)


# --- 7. terminals --------------------------------------------------------------------------


def run_tty(
    cwd: Path,
    *args: str,
    stdin_tty: bool = False,
    stdout_tty: bool = False,
    answer: bytes = b"",
    env: dict[str, str] | None = None,
    timeout: float = 120,
) -> tuple[int, str, str]:
    """The installed dbinit with stderr (and optionally stdin/stdout) on a pty.

    Returns (exit code, what the terminal showed, what went to a stdout pipe)."""
    master, slave = pty.openpty()
    proc = subprocess.Popen(
        [DBINIT, *args],
        cwd=cwd,
        env=env or child_env(COLUMNS="200", NO_COLOR="1", DBINIT_RETRY_DELAY="0.05"),
        stdin=slave if stdin_tty else subprocess.DEVNULL,
        stdout=slave if stdout_tty else subprocess.PIPE,
        stderr=slave,
        close_fds=True,
    )
    os.close(slave)
    piped: list[bytes] = []
    reader = None
    if proc.stdout is not None:
        stream = proc.stdout
        reader = threading.Thread(target=lambda: piped.append(stream.read()))
        reader.start()
    if answer:
        os.write(master, answer)
    seen = bytearray()
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        ready, _, _ = select.select([master], [], [], 0.5)
        if ready:
            try:
                chunk = os.read(master, 65536)
            except OSError:  # EIO: the child closed the terminal
                break
            if not chunk:
                break
            seen += chunk
        elif proc.poll() is not None:
            break
    else:
        proc.kill()
        pytest.fail(f"dbinit {' '.join(args)} hung")
    code = proc.wait(timeout=timeout)
    if reader is not None:
        reader.join(timeout)
    os.close(master)
    return code, seen.decode("utf-8", "replace"), b"".join(piped).decode()


def test_console_logs_default_to_warnings_on_a_terminal(
    shipped_schemas: Path, tmp_path: Path
) -> None:
    code, term, out = run_tty(tmp_path, "check")
    assert code == 1, (term, out)
    assert "diff.computed" not in term and "schema.loaded" not in term, term
    assert "Drift" in out
    # An explicit level still wins, from the option or the environment.
    code, term, _ = run_tty(tmp_path, "check", "--log-level", "info")
    assert "diff.computed" in term, term
    env = child_env(COLUMNS="200", NO_COLOR="1", DBINIT_LOG_LEVEL="info")
    code, term, _ = run_tty(tmp_path, "check", env=env)
    assert "diff.computed" in term, term
    # JSON logs keep info for aggregators, terminal or not.
    code, term, _ = run_tty(tmp_path, "check", "--log-format", "json")
    assert '"event": "diff.computed"' in term, term


def test_interactive_repair_shows_the_change_table_once(tmp_path: Path) -> None:
    make_db(tmp_path / "app.db", USERS_ONLY)
    write_schema(
        tmp_path / "schemas",
        {"001.sql": USERS_ONLY.split("INSERT")[0].replace("TEXT UNIQUE NOT NULL", "TEXT NOT NULL")},
    )
    code, term, _ = run_tty(
        tmp_path, "repair", "--no-backup", stdin_tty=True, stdout_tty=True, answer=b"y\n"
    )
    assert code == 0, term
    assert term.count("Rebuild changes") == 1, term
    assert "Applied" in term
    assert "apply.statement" not in term  # info logs stay off the terminal


def test_quiet_hides_logs_but_never_the_verdict_or_the_drift(
    cli, shipped_schemas: Path, tmp_path: Path
) -> None:
    make_db(tmp_path / "app.db", USERS_ONLY)
    for log_format in ("json", "console"):
        res = cli("check", "-q", "--log-format", log_format)
        assert res.exit_code == 1, (res.stdout, res.stderr)
        assert res.stderr == ""
        assert "portfolio_snapshots" in res.stdout
        assert "Drift" in res.stdout
    res = cli("init", "-q", "--log-format", "json")
    assert res.exit_code == 0, (res.stdout, res.stderr)
    assert res.stderr == ""
    assert res.stdout.strip().splitlines()[-1].startswith("✓ Applied")
    res = cli("check", "-q")
    assert res.exit_code == 0, (res.stdout, res.stderr)
    assert res.stdout.startswith("✓ In sync") and res.stdout.count("\n") == 1


# --- usage errors ---------------------------------------------------------------------------

BAD_VALUES = [
    ["check", "--format", "yaml"],
    ["--format", "yaml", "check"],
    ["check", "--log-format", "xml"],
    ["check", "--log-level", "loud"],
    ["validate", "--integrity", "bogus"],
    ["check", "--timeout", "soon"],
    ["check", "--timeout", "-1"],
    ["history", "--limit", "0"],
    ["check", "--no-such-option"],
    ["nosuchcommand"],
]


@pytest.mark.parametrize("args", BAD_VALUES, ids=" ".join)
def test_usage_errors_are_exit_2_and_json_when_json_was_asked(
    cli, shipped_schemas: Path, tmp_path: Path, args: list[str]
) -> None:
    res = cli(*args)
    assert res.exit_code == 2, (res.stdout, res.stderr)
    assert res.stdout == ""
    assert "Traceback" not in res.stderr
    for how, extra, env in (
        ("option", ["--format", "json"], None),
        ("option-after", ["-f", "json"], None),
        ("env", [], {"DBINIT_FORMAT": "json"}),
    ):
        full = [*extra, *args] if how == "option" else [*args, *extra]
        if args == ["nosuchcommand"] and how == "option-after":
            full = ["-f", "json", *args]
        if "--format" in args:
            continue  # the command line's own (invalid) format is what was asked for
        res = cli(*full, env=env)
        assert res.exit_code == 2, (full, res.stdout, res.stderr)
        doc = json.loads(res.stdout)
        assert doc["exit_code"] == 2 and doc["status"] == "error"
        assert doc["error"]["error_code"] == "DB_008"
        assert doc["error"]["message"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["schemas"]


def test_invalid_values_from_the_environment_stay_78(cli, shipped_schemas: Path) -> None:
    for name, value in (("DBINIT_FORMAT", "yaml"), ("DBINIT_LOG_LEVEL", "loud")):
        res = cli("check", env={name: value})
        assert res.exit_code == 78, (res.stdout, res.stderr)
        assert name in res.stdout


def test_option_values_are_case_insensitive(cli, shipped_schemas: Path) -> None:
    res = cli("validate", "--format", "JSON", "--integrity", "Off", "--log-level", "WARNING")
    assert res.exit_code == 1, (res.stdout, res.stderr)
    assert res.json()["command"] == "validate"


@pytest.mark.parametrize("command", ["check", "init", "validate", "repair", "inspect", "history"])
def test_help_shows_readable_placeholders(cli, command: str) -> None:
    res = cli(command, "--help")
    assert res.exit_code == 0
    assert "<bool>" not in res.stdout and "<str>" not in res.stdout and "<int>" not in res.stdout
    assert "BOOLEAN" not in res.stdout and "TEXT " not in res.stdout


# --- schema-only and Railway -----------------------------------------------------------------


def test_schema_only_says_nothing_about_railway_volumes(cli, shipped_schemas: Path) -> None:
    env = {"RAILWAY_ENVIRONMENT": "production"}
    res = cli("validate", "--schema-only", "-f", "json", "--log-format", "json", env=env)
    assert res.exit_code == 0, (res.stdout, res.stderr)
    assert "railway" not in res.stderr.lower()
    res = cli("validate", "--schema-only", env=env)
    assert "volume" not in res.stdout.lower()
    # A command that opens the database still warns.
    res = cli("check", "-f", "json", "--log-format", "json", env=env)
    assert "railway.ephemeral_database" in res.stderr
