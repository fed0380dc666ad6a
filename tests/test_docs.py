"""The README keeps up with the CLI (in the style of sqlite-utils' tests/test_docs.py).

Every registered command has help text and is documented; every exit code of the
contract is in the exit-code table; every DBINIT_* setting is named; the Quickstart
holds exactly two copy-paste commands and CI runs the second one verbatim.
"""

from __future__ import annotations

import re

import pytest
import typer.main

from dbinit.cli import app
from dbinit.settings import ENV_NAMES
from tests.conftest import REPO

README = (REPO / "README.md").read_text(encoding="utf-8")
CI_RUN = REPO / ".ci" / "run"

# Contract §5 and §3, plus 130/143 for SIGINT/SIGTERM (issue 8, signals).
EXIT_CODES = {0, 1, 2, 3, 65, 66, 69, 70, 73, 74, 75, 77, 78, 130, 143}
ENV_VARIABLES = {
    "DBINIT_DATABASE_URL",
    "DBINIT_SCHEMA_DIR",
    "DBINIT_RETRY_ATTEMPTS",
    "DBINIT_RETRY_DELAY",
    "DBINIT_INITIALIZATION_TIMEOUT",
    "DBINIT_FORMAT",
    "DBINIT_LOG_FORMAT",
    "DBINIT_LOG_LEVEL",
}

COMMANDS = dict(typer.main.get_command(app).commands)  # type: ignore[attr-defined]


def section(title: str) -> str:
    """The README text under the `## title` heading, up to the next `## ` heading."""
    match = re.search(rf"^## {re.escape(title)}\s*$(.*?)(?=^## |\Z)", README, re.M | re.S)
    assert match, f"README has no '## {title}' section"
    return match.group(1)


def fenced_blocks(text: str, language: str) -> list[str]:
    return re.findall(rf"^```{language}\n(.*?)^```\s*$", text, re.M | re.S)


def test_commands_are_registered() -> None:
    assert {"check", "init", "validate"} <= set(COMMANDS)


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_command_has_help(name: str) -> None:
    command = COMMANDS[name]
    assert command.help and command.help.strip(), f"dbinit {name} has no help text"
    assert command.get_short_help_str().strip()


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_command_is_documented(name: str) -> None:
    assert re.search(rf"\bdbinit {re.escape(name)}\b", README), (
        f"README.md does not mention `dbinit {name}`"
    )


def test_exit_code_table_is_complete() -> None:
    rows = re.findall(r"^\|\s*(\d+)\s*\|", section("Exit codes"), re.M)
    codes = [int(code) for code in rows]
    assert len(codes) == len(set(codes)), "an exit code appears twice in the table"
    assert set(codes) == EXIT_CODES


@pytest.mark.parametrize("variable", sorted(ENV_VARIABLES | set(ENV_NAMES.values())))
def test_environment_variable_is_documented(variable: str) -> None:
    assert variable in section("Settings"), f"README.md Settings does not name {variable}"


def test_quickstart_has_exactly_two_commands() -> None:
    quickstart = section("Quickstart")
    blocks = fenced_blocks(quickstart, "sh")
    assert len(blocks) == 2, blocks
    assert quickstart.count("```") == 4, "only the two ```sh blocks belong in the Quickstart"
    for block in blocks:
        lines = [line for line in block.splitlines() if line.strip()]
        assert len(lines) == 1, f"one copy-paste command per block, got {lines}"
        assert not lines[0].lstrip().startswith("$"), "no prompt: the line is copy-pasted"


def test_ci_runs_the_second_quickstart_command_verbatim() -> None:
    second = fenced_blocks(section("Quickstart"), "sh")[1].strip()
    assert CI_RUN.is_file()
    ci = CI_RUN.read_text(encoding="utf-8")
    commands = [line for line in ci.splitlines() if not line.lstrip().startswith("#")]
    assert any(second in line for line in commands), f".ci/run does not run: {second}"
    assert "set -euo pipefail" in ci
