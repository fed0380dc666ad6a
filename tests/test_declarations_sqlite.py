"""The declaration probes of issue 14, on SQLite: a schema file cannot smuggle a
second statement past the splitter (a `--` comment ended by a carriage return,
the word `begin`, statements after a comment). SQLite keeps its own rules: only
CREATE TABLE/INDEX/VIEW/TRIGGER/VIRTUAL TABLE; each probe's smuggled
`ATTACH DATABASE` would create a file, which must not exist afterwards."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import child_env

DBINIT = str(Path(sys.executable).parent / "dbinit")

PROBES = [
    # SQLite ends a `--` comment at a newline only: the rest is comment text.
    ("CREATE TABLE t (a int) --\r; ATTACH DATABASE 'evil.db' AS e;\n", 0),
    ("CREATE TABLE begin_t (begin int);\nATTACH DATABASE 'evil.db' AS e;\n", 65),
    ("CREATE TABLE t (a int); -- c\nATTACH DATABASE 'evil.db' AS e;\n", 65),
    ("CREATE TABLE t (a int) /* ; */; ATTACH DATABASE 'evil.db' AS e;\n", 65),
    (
        "CREATE TRIGGER tr AFTER INSERT ON t BEGIN SELECT 1; END;\n"
        "ATTACH DATABASE 'evil.db' AS e;\nCREATE TABLE t (a int);\n",
        65,
    ),
    ("CREATE TABLE t AS SELECT 1;\n", 65),
]


@pytest.mark.parametrize(("text", "expected"), PROBES)
@pytest.mark.parametrize("command", [("check",), ("validate", "--schema-only")])
def test_a_schema_file_cannot_smuggle_a_second_statement(
    tmp_path: Path, text: str, expected: int, command: tuple[str, ...]
) -> None:
    folder = tmp_path / "schemas"
    folder.mkdir()
    (folder / "001.sql").write_text(text, encoding="utf-8", newline="")
    db = tmp_path / "app.db"
    sqlite3.connect(db).close()
    done = subprocess.run(
        [DBINIT, *command, "--database", str(db), "--schema-dir", str(folder), "--format", "json"],
        env=child_env(),
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    out = done.stdout + done.stderr
    if expected == 65:
        assert done.returncode == 65, out
        assert "001.sql:" in done.stdout, out
    else:
        assert done.returncode in (0, 1), out  # 1: check sees the missing table
    assert not (tmp_path / "evil.db").exists()
    assert not (tmp_path / "schemas" / "evil.db").exists()
