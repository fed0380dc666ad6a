"""Every printed hint names an option the command that printed it accepts.

Two nets: (1) every `dbinit CMD --option …` written in dbinit's own strings
names options that `dbinit CMD --help` lists; (2) the hints commands really
print (refusals, drift verdicts, errors) name only options of the printing
command, unless the hint spells out another command (`dbinit repair --prune`).
The oracle is each command's own `--help` output.
"""

from __future__ import annotations

import ast
import re
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from dbinit.cli import app
from tests.conftest import REPO, make_db, write_schema

OPTION = re.compile(r"(?<![\w-])--[a-z][a-z0-9-]*")
# `dbinit CMD` followed by its options and their values (a value is a word that
# does not start another sentence part: no backtick, no comma).
NAMED = re.compile(r"dbinit ([a-z]+)((?:\s+(?:--?[a-z][a-z0-9-]*|[A-Za-z0-9_./:=-]+))*)")
COMMANDS = ("check", "init", "validate", "repair", "inspect", "history", "deploy", "plan")


@cache
def options_of(command: str) -> frozenset[str]:
    """The options `dbinit COMMAND --help` lists."""
    res = CliRunner().invoke(app, [command, "--help"], env={"COLUMNS": "250", "NO_COLOR": "1"})
    assert res.exit_code == 0, res.output
    return frozenset(OPTION.findall(res.output))


def _strings(tree: ast.AST) -> list[str]:
    """String literals, f-strings joined with a placeholder for their values."""
    out: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            out.append(node.value)
        elif isinstance(node, ast.JoinedStr):
            out.append(
                "".join(v.value if isinstance(v, ast.Constant) else "X" for v in node.values)
            )
    return out


def named_hints(text: str) -> list[tuple[str, str]]:
    """(command, option) for every option written after `dbinit COMMAND`."""
    found = []
    for m in NAMED.finditer(text):
        if m.group(1) not in COMMANDS:
            continue
        found += [(m.group(1), o) for o in OPTION.findall(m.group(2))]
    return found


def test_options_of_reads_help() -> None:
    """The oracle itself: options it must see, and one it must not."""
    assert {"--prune", "--allow-data-loss", "--yes"} <= options_of("repair")
    assert "--prune" not in options_of("init")
    assert named_hints("run `dbinit repair --allow-data-loss --prune` now, or --x") == [
        ("repair", "--allow-data-loss"),
        ("repair", "--prune"),
    ]


def test_every_written_dbinit_command_hint_names_its_own_options() -> None:
    wrong = []
    for path in sorted((REPO / "dbinit").rglob("*.py")):
        for text in _strings(ast.parse(path.read_text(encoding="utf-8"))):
            for command, option in named_hints(text):
                if option not in options_of(command):
                    wrong.append(f"{path.relative_to(REPO)}: `dbinit {command} {option}`")
    assert not wrong, wrong


# --- what commands really print ---------------------------------------------------------

EXTRA = "CREATE TABLE t (id INTEGER PRIMARY KEY);"
LIVE_EXTRA = "CREATE TABLE t (id INTEGER PRIMARY KEY); CREATE TABLE old (x);"
LIVE_TYPE = "CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT); INSERT INTO t VALUES (1, 'a');"
DECLARED_TYPE = "CREATE TABLE t (id INTEGER PRIMARY KEY, v INTEGER);"


def _bare_options(command: str, text: str) -> list[str]:
    """Options in `text` not written after a named `dbinit OTHER` command."""
    named = {(c, o) for c, o in named_hints(text)}
    stripped = NAMED.sub(" ", text)
    bare = OPTION.findall(stripped)
    return [o for o in bare if (command, o) not in named]


SCENARIOS: list[tuple[str, str, str, tuple[str, ...]]] = [
    # (name, live SQL, declared SQL, the command line)
    ("validate-extra", LIVE_EXTRA, EXTRA, ("validate",)),
    ("deploy-extra", LIVE_EXTRA, EXTRA, ("deploy",)),
    ("check-extra", LIVE_EXTRA, EXTRA, ("check",)),
    ("init-rebuild", LIVE_TYPE, DECLARED_TYPE, ("init",)),
    ("deploy-rebuild", LIVE_TYPE, DECLARED_TYPE, ("deploy",)),
    ("validate-rebuild", LIVE_TYPE, DECLARED_TYPE, ("validate",)),
    ("check-rebuild", LIVE_TYPE, DECLARED_TYPE, ("check",)),
    ("repair-no-yes", LIVE_TYPE, DECLARED_TYPE, ("repair",)),
    ("repair-prune", LIVE_EXTRA, EXTRA, ("repair", "--prune", "--yes")),
]


@pytest.mark.parametrize("fmt", ["text", "json"])
@pytest.mark.parametrize(
    ("name", "live", "declared", "argv"), SCENARIOS, ids=[s[0] for s in SCENARIOS]
)
def test_printed_hints_name_options_of_the_printing_command(
    tmp_path: Path, name: str, live: str, declared: str, argv: tuple[str, ...], fmt: str
) -> None:
    make_db(tmp_path / "app.db", live)
    write_schema(tmp_path / "schemas", {"a.sql": declared})
    res = CliRunner().invoke(app, [*argv, "--format", fmt], env={"COLUMNS": "250", "NO_COLOR": "1"})
    assert res.exit_code in (0, 1, 3), (res.exit_code, res.stdout, res.stderr)
    printed = res.stdout + res.stderr
    command = argv[0]
    wrong = [o for o in _bare_options(command, printed) if o not in options_of(command)]
    wrong += [f"dbinit {c} {o}" for c, o in named_hints(printed) if o not in options_of(c)]
    assert not wrong, (wrong, printed)


def test_deploy_allow_extra_passes_extras(tmp_path: Path, cli: Any) -> None:
    """validate's hint says "pass --allow-extra"; deploy takes it and passes it on."""
    make_db(tmp_path / "app.db", LIVE_EXTRA)
    write_schema(tmp_path / "schemas", {"a.sql": EXTRA})
    res = cli("deploy")
    assert res.exit_code == 1, res.stdout
    assert "--allow-extra" in res.stdout
    res = cli("deploy", "--allow-extra", "--format", "json")
    assert res.exit_code == 0, res.stdout
    assert [s["exit_code"] for s in res.json()["steps"]] == [0, 0]
    res = cli("deploy", "--no-allow-extra", "--format", "json", env={"DBINIT_ALLOW_EXTRA": "1"})
    assert res.exit_code == 1, res.stdout


@pytest.mark.parametrize("fmt", ["text", "json", "markdown"])
def test_plan_file_refusals_name_options_of_the_printing_command(
    tmp_path: Path, cli: Any, fmt: str
) -> None:
    """Missing, stale and data-losing plan files: what init, deploy and plan print."""
    make_db(tmp_path / "app.db", LIVE_TYPE + "CREATE TABLE old (x); INSERT INTO old VALUES (1);")
    write_schema(tmp_path / "schemas", {"a.sql": DECLARED_TYPE})
    printed: list[tuple[str, str]] = []

    def run(*argv: str) -> None:
        f = fmt if fmt != "markdown" or argv[0] == "plan" else "text"
        res = CliRunner().invoke(
            app, [*argv, "--format", f], env={"COLUMNS": "250", "NO_COLOR": "1"}
        )
        printed.append((argv[0], res.stdout + res.stderr))

    for command in ("init", "deploy", "plan"):  # missing
        run(command) if command != "plan" else run("plan", "--check")
    assert cli("plan").exit_code == 0
    for command in ("init", "deploy"):  # loses data without saying so
        run(command)
    (path,) = (tmp_path / "plans").iterdir()
    path.write_text(path.read_text().replace('"v" FROM', "0 FROM"))
    for command in ("init", "deploy"):  # stale
        run(command)
    run("plan", "--check")
    wrong = []
    for command, text in printed:
        wrong += [o for o in _bare_options(command, text) if o not in options_of(command)]
        wrong += [f"dbinit {c} {o}" for c, o in named_hints(text) if o not in options_of(c)]
    assert not wrong, (wrong, printed)
    assert any("--allow-data-loss" in text for _, text in printed)
