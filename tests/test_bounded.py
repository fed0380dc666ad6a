"""Bounded work on any input (issue 9 §6): the file search visits each real
folder once, memory stays linear in the schema files' size, and `inspect
--output-dir` never leaves a half-written folder.

Hang guards are far above any honest run; no test asserts a duration.
"""

from __future__ import annotations

import json
import os
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
        sql = "SELECT name FROM sqlite_schema WHERE type = 'table' AND name <> '_dbinit_history'"
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
