"""`.pre-commit-hooks.yaml`: the hook users add to lint their schema files.

Parsed as YAML (PyYAML, as pre-commit itself does) and its entry run as
pre-commit runs it: split on whitespace, in the project folder, no file names.
"""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import REPO, child_env, digest, write_schema

HOOKS = REPO / ".pre-commit-hooks.yaml"


def the_hook() -> dict[str, Any]:
    hooks = yaml.safe_load(HOOKS.read_text(encoding="utf-8"))
    assert isinstance(hooks, list)
    assert len(hooks) == 1
    hook = hooks[0]
    assert isinstance(hook, dict)
    return hook


def run_entry(hook: dict[str, Any], cwd: Path) -> subprocess.CompletedProcess[str]:
    argv = shlex.split(hook["entry"])
    assert argv[0] == "dbinit"
    script = Path(sys.executable).parent / "dbinit"
    return subprocess.run(
        [str(script), *argv[1:]],
        cwd=cwd,
        env=child_env(),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_hook_is_declared_for_schema_files() -> None:
    hook = the_hook()
    assert hook["id"] == "dbinit-validate-schema"
    assert hook["entry"] == "dbinit validate --schema-only --quiet"
    assert hook["language"] == "python"
    assert hook["pass_filenames"] is False
    files = re.compile(hook["files"])
    assert files.search("schemas/001_users.sql")
    assert not files.search("app/main.py")
    assert not files.search("notes.sql.md")


def test_the_entry_passes_clean_schema_files(shipped_schemas: Path, tmp_path: Path) -> None:
    res = run_entry(the_hook(), tmp_path)
    assert res.returncode == 0, (res.stdout, res.stderr)
    assert digest(tmp_path / "app.db") is None


@pytest.mark.parametrize("broken", ["CREATE TABLE t (id INTEGER PRIMARY KEY,, x);\n"])
def test_the_entry_fails_a_broken_schema_file(tmp_path: Path, broken: str) -> None:
    write_schema(
        tmp_path / "schemas",
        {"001_ok.sql": "CREATE TABLE ok (id INTEGER);\n", "002_bad.sql": broken},
    )
    res = run_entry(the_hook(), tmp_path)
    assert res.returncode == 65, (res.stdout, res.stderr)
    assert "002_bad.sql:1" in res.stdout + res.stderr
    assert digest(tmp_path / "app.db") is None
