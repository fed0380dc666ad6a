"""Bounded work on any input (issue 9 §6): the file search visits each real
folder once, memory stays linear in the schema files' size, and `inspect
--output-dir` never leaves a half-written folder.

Hang guards are far above any honest run; no test asserts a duration.
"""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import child_env, digest, make_db, write_schema

HANG_GUARD = 120  # seconds; an honest run takes well under one


def dbinit(cwd: Path, *args: str) -> tuple[int, dict[str, object], str]:
    """The installed console script in a real process: (exit code, JSON report, stderr)."""
    script = Path(sys.executable).parent / "dbinit"
    try:
        proc = subprocess.run(
            [str(script), *args, "--format", "json"],
            cwd=cwd,
            env=child_env(),
            capture_output=True,
            text=True,
            timeout=HANG_GUARD,
        )
    except subprocess.TimeoutExpired:
        pytest.fail(f"dbinit {' '.join(args)} gave no answer after {HANG_GUARD} s")
    assert "Traceback" not in proc.stderr, proc.stderr
    return proc.returncode, json.loads(proc.stdout), proc.stderr


def table_names(path: Path) -> set[str]:
    conn = sqlite3.connect(path)
    try:
        # dbinit's own tables (history, remembered models) left out
        sql = "SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE '\\_dbinit\\_%' ESCAPE '\\'"
        rows = conn.execute(sql)
        return {r[0] for r in rows}
    finally:
        conn.close()


# --- the file search visits each real folder once ------------------------------


def test_symlinks_to_the_folder_itself_are_visited_once(tmp_path: Path) -> None:
    """Two links to `.` made the walk exponential (2^40 paths before ELOOP)."""
    schemas = write_schema(
        tmp_path / "schemas",
        {"001_a.sql": "CREATE TABLE a (id INTEGER PRIMARY KEY);\n", "sub/002_b.sql": ""},
    )
    (schemas / "sub" / "002_b.sql").write_text("CREATE TABLE b (id INTEGER PRIMARY KEY);\n")
    (schemas / "loop1").symlink_to(".")
    (schemas / "loop2").symlink_to(".")
    (schemas / "sub" / "up").symlink_to("..")
    (schemas / "sub" / "self").symlink_to(".")

    code, report, err = dbinit(tmp_path, "init")
    assert code == 0, (report, err)
    assert table_names(tmp_path / "app.db") == {"a", "b"}

    code, report, err = dbinit(tmp_path, "check")
    assert (code, report["changes"]) == (0, []), (report, err)


def test_a_linked_folder_outside_is_still_read(tmp_path: Path) -> None:
    """Visiting each real folder once keeps symlinked folders that are not repeats."""
    shared = write_schema(tmp_path / "shared", {"s.sql": "CREATE TABLE s (id INTEGER);\n"})
    schemas = write_schema(tmp_path / "schemas", {"a.sql": "CREATE TABLE a (id INTEGER);\n"})
    (schemas / "common").symlink_to(shared)
    (schemas / "common2").symlink_to(shared)  # the same real folder: read once
    code, report, err = dbinit(tmp_path, "init")
    assert code == 0, (report, err)
    assert table_names(tmp_path / "app.db") == {"a", "s"}


# --- memory stays linear in the size of the schema files -----------------------


def literal_schema(folder: Path, size: int) -> int:
    """Schema files whose bulk is string literals and quoted names, in every
    place the lexer and the desired model look: a DEFAULT, a CHECK, a view, a
    trigger, a quoted identifier and a comment. Returns their size in bytes."""
    n = size // 8
    quotes = "''" * (n // 2)
    text = (
        f"CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT DEFAULT '{'x' * n}',\n"
        f"  w TEXT CHECK (w <> 'it''s {'y' * n}'), \"{'q' * n}\" TEXT);\n"
        f"CREATE VIEW v AS SELECT '{'a' * n}' AS s, '{quotes}' AS quotes;\n"
        f"CREATE TRIGGER tr AFTER INSERT ON t BEGIN SELECT '{'b' * n}'; END;\n"
        f"/* {'c' * n} */\n-- {'d' * n}\n"
    )
    write_schema(folder, {"001_big.sql": text})
    return len(text.encode())


def test_string_literals_cost_linear_memory(
    cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Python-side peak (tracemalloc) of `init` (the library call: no report is
    printed) and of `check` through the CLI, at most 10x the schema files. It was
    ~240 bytes per byte of literal: the lexer's regexes backtracked per character."""
    import tracemalloc

    # tracemalloc slows the load many times over: the time limit (which stops
    # the schema load too) is not what this test measures.
    monkeypatch.setenv("DBINIT_INITIALIZATION_TIMEOUT", "3600")

    from dbinit import ensure_database_ready

    literal_schema(tmp_path / "warm", 1024)  # imports and caches before measuring
    ensure_database_ready(database="warm.db", schema_dir="warm")
    cli("check", "--database", "warm.db", "--schema-dir", "warm")

    size = literal_schema(tmp_path / "schemas", 4 * 1024 * 1024)
    tracemalloc.start()
    try:
        report = ensure_database_ready(database="app.db", schema_dir="schemas")
        init_peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.reset_peak()
        res = cli("check", "--format", "json", "--log-level", "error")
        check_peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert report.exit_code == 0
    assert res.exit_code == 0, (res.stdout[:2000], res.stderr[:2000])
    assert init_peak <= 10 * size, f"init: peak {init_peak / size:.1f}x the schema files"
    assert check_peak <= 10 * size, f"check: peak {check_peak / size:.1f}x the schema files"
    assert "t" in table_names(tmp_path / "app.db")


def test_long_trigger_body_is_split_in_linear_time(tmp_path: Path) -> None:
    """Each `;` inside a trigger body re-checked the whole statement so far with
    sqlite3.complete_statement: quadratic (a 1 MB body took 80 s)."""
    body = "".join(
        f"  UPDATE t SET a = CASE WHEN a > {i} THEN 1 END; -- ; END\n" for i in range(40_000)
    )
    write_schema(
        tmp_path / "schemas",
        {
            "a.sql": "CREATE TABLE t (a INTEGER);\n"
            f"CREATE TRIGGER tr AFTER INSERT ON t BEGIN\n{body}END;\n"
            "CREATE TABLE after_the_trigger (b INTEGER);\n"
        },
    )
    code, report, err = dbinit(tmp_path, "init")
    assert code == 0, (report, err)
    assert table_names(tmp_path / "app.db") == {"t", "after_the_trigger"}
    conn = sqlite3.connect(tmp_path / "app.db")
    try:
        (sql,) = conn.execute("SELECT sql FROM sqlite_schema WHERE name = 'tr'").fetchone()
    finally:
        conn.close()
    assert sql.count("UPDATE t SET") == 40_000


# --- inspect --output-dir: short unique file names, all or nothing -------------


def test_inspect_shortens_names_too_long_for_the_filesystem(cli, tmp_path: Path) -> None:
    long_a = "a" * 300
    long_b = "a" * 299 + "b"  # the same first 255 characters
    make_db(
        tmp_path / "live.db",
        f'CREATE TABLE "{long_a}" (id INTEGER PRIMARY KEY);\n'
        f'CREATE TABLE "{long_b}" (id INTEGER PRIMARY KEY);\n'
        'CREATE TABLE "prices[/]" (id INTEGER);\n'
        'CREATE VIEW "v" AS SELECT 1 AS one;\n',
    )
    before = digest(tmp_path / "live.db")
    res = cli("inspect", "--output-dir", "out", "-d", "live.db", "--format", "json")
    assert res.exit_code == 0, (res.stdout, res.stderr)
    names = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert len(names) == 4 and len(set(names)) == 4, names
    assert all(len(n.encode()) <= 100 for n in names), names
    assert digest(tmp_path / "live.db") == before
    # What it wrote is the schema: check against it reports nothing.
    res = cli("check", "--schema-dir", "out", "-d", "live.db", "--format", "json")
    assert res.exit_code == 0, (res.stdout, res.stderr)
    assert res.json()["changes"] == []
    # No temporary folder is left beside the output.
    assert sorted(p.name for p in tmp_path.iterdir()) == ["live.db", "out"]


def test_inspect_that_fails_midway_leaves_no_folder(
    cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A write that fails after the first file (a full disk) leaves nothing
    behind, so the re-run is not refused for a half-written folder."""
    make_db(
        tmp_path / "live.db",
        "CREATE TABLE a (id INTEGER); CREATE TABLE b (id INTEGER); CREATE TABLE c (id INTEGER);",
    )
    real_write = Path.write_text
    written: list[Path] = []

    def write_text(self: Path, data: str, *args: object, **kwargs: object) -> int:
        if self.suffix == ".sql" and len(written) == 1:
            raise OSError(28, "No space left on device", str(self))
        written.append(self)
        return real_write(self, data, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(Path, "write_text", write_text)
    res = cli("inspect", "--output-dir", "out/schemas", "-d", "live.db", "--format", "json")
    assert res.exit_code == 74, (res.stdout, res.stderr)
    assert "Cannot open database" not in res.json()["error"]["message"]
    assert len(written) == 1
    assert not (tmp_path / "out" / "schemas").exists()
    assert [p.name for p in (tmp_path / "out").iterdir()] == []  # no temporary folder left

    monkeypatch.setattr(Path, "write_text", real_write)
    res = cli("inspect", "--output-dir", "out/schemas", "-d", "live.db", "--format", "json")
    assert res.exit_code == 0, (res.stdout, res.stderr)
    assert len(list((tmp_path / "out" / "schemas").glob("*.sql"))) == 3


def test_inspect_into_an_existing_folder_keeps_its_other_files(cli, tmp_path: Path) -> None:
    make_db(tmp_path / "live.db", "CREATE TABLE a (id INTEGER);")
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "README.md").write_text("keep me\n")
    res = cli("inspect", "--output-dir", "out", "-d", "live.db", "--format", "json")
    assert res.exit_code == 0, (res.stdout, res.stderr)
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["001_a.sql", "README.md"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["live.db", "out"]
