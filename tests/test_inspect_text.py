"""What `inspect` and `check` print for names holding control characters.

`inspect` to a pipe or a file prints the exact SQL (as `--output-dir` writes
it), so the printed schema declares the very names; only a terminal gets
escapes. A table cell shows a newline or a tab in a name escaped, on one line.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.conftest import child_env, make_db, write_schema

DBINIT = str(Path(sys.executable).parent / "dbinit")
ODD = 'CREATE TABLE "bell\x07tab\there\nx" (id INTEGER PRIMARY KEY, "new\nline" TEXT);\n'


def dbinit(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [DBINIT, *args], cwd=cwd, env=child_env(), capture_output=True, text=True, timeout=60
    )


def test_inspect_to_a_file_is_the_exact_schema(tmp_path: Path) -> None:
    make_db(tmp_path / "app.db", ODD)
    res = dbinit(tmp_path, "inspect")
    assert res.returncode == 0, res.stderr
    assert "bell\x07tab" in res.stdout  # not \\x07
    write_schema(tmp_path / "s", {"all.sql": res.stdout})
    res = dbinit(tmp_path, "check", "-s", "s")
    assert res.returncode == 0, res.stdout


def test_inspect_on_a_terminal_shows_escapes(tmp_path: Path) -> None:
    make_db(tmp_path / "app.db", ODD)
    leader, follower = os.openpty()
    try:
        proc = subprocess.run(
            [DBINIT, "inspect"], cwd=tmp_path, env=child_env(COLUMNS="200"),
            stdout=follower, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL, timeout=60,
        )  # fmt: skip
        os.close(follower)
        chunks = []
        while True:
            try:
                chunk = os.read(leader, 65536)
            except OSError:
                break
            if not chunk:
                break
            chunks.append(chunk)
    finally:
        os.close(leader)
    out = b"".join(chunks).decode()
    assert proc.returncode == 0
    assert "bell\\x07tab" in out and "\x07" not in out


def test_a_newline_in_a_name_stays_on_its_table_row(tmp_path: Path) -> None:
    write_schema(tmp_path / "schemas", {"001.sql": ODD})
    make_db(tmp_path / "app.db", "CREATE TABLE other (id INTEGER PRIMARY KEY);")
    res = dbinit(tmp_path, "check")
    assert res.returncode == 1, res.stdout
    assert "bell\\x07tab\\there\\nx" in res.stdout, res.stdout
    rows = [line for line in res.stdout.splitlines() if "bell" in line]
    assert len(rows) == 1 and "missing_table" in rows[0], res.stdout
