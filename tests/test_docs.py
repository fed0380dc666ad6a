"""The README and the documentation site keep up with the CLI (in the style of
sqlite-utils' tests/test_docs.py).

Every registered command has help text and is documented; the command reference
(docs/commands.md) is exactly what docs/gen_commands.py writes from `--help`; every
exit code is in the exit-code table and every DBINIT_* setting on the settings page;
the README's Quickstart holds exactly two copy-paste commands and CI runs the second
one verbatim; every link from the README into docs/ leads to a page of the site.
"""

from __future__ import annotations

import importlib.util
import re
from types import ModuleType

import pytest
import typer.main

from dbinit.cli import app
from dbinit.settings import ENV_NAMES
from tests.conftest import REPO

README = (REPO / "README.md").read_text(encoding="utf-8")
DOCS = REPO / "docs"
CI_RUN = REPO / ".ci" / "run"

# docs/exit-codes.md, plus 130/143 for SIGINT/SIGTERM (issue 8, signals).
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


def page(name: str) -> str:
    return (DOCS / name).read_text(encoding="utf-8")


def section(text: str, title: str, where: str = "README") -> str:
    """The text under the `## title` heading, up to the next `## ` heading."""
    match = re.search(rf"^## {re.escape(title)}\s*$(.*?)(?=^## |\Z)", text, re.M | re.S)
    assert match, f"{where} has no '## {title}' section"
    return match.group(1)


def fenced_blocks(text: str, language: str) -> list[str]:
    return re.findall(rf"^```{language}\n(.*?)^```\s*$", text, re.M | re.S)


def gen_commands() -> ModuleType:
    spec = importlib.util.spec_from_file_location("gen_commands", DOCS / "gen_commands.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_commands_are_registered() -> None:
    assert {"check", "init", "validate"} <= set(COMMANDS)


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_command_has_help(name: str) -> None:
    command = COMMANDS[name]
    assert command.help and command.help.strip(), f"dbinit {name} has no help text"
    assert command.get_short_help_str().strip()


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_command_is_documented(name: str) -> None:
    reference = page("commands.md")
    assert re.search(rf"^## dbinit {re.escape(name)}$", reference, re.M), (
        f"docs/commands.md has no section for `dbinit {name}`: run docs/gen_commands.py"
    )
    assert re.search(rf"^## dbinit {re.escape(name)}\b", page("usage.md"), re.M), (
        f"docs/usage.md (Commands by example) has no section for `dbinit {name}`"
    )
    assert re.search(rf"\bdbinit {re.escape(name)}\b", page("index.md")), (
        f"docs/index.md does not list `dbinit {name}`"
    )


def test_command_reference_is_generated_from_help() -> None:
    """docs/commands.md is exactly what docs/gen_commands.py writes now (fixed width,
    NO_COLOR): a changed option or docstring without a regenerated page fails here."""
    module = gen_commands()
    assert module.TARGET == DOCS / "commands.md"
    expected = module.render()
    assert set(module.commands()) == set(COMMANDS)
    assert page("commands.md") == expected, (
        "docs/commands.md is out of date: run `.venv/bin/python docs/gen_commands.py`"
    )


def test_command_reference_does_not_depend_on_the_callers_terminal(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A narrow, coloured terminal or a DBINIT_* variable of the caller's shell
    changes nothing: the script pins width and colour and drops dbinit's settings."""
    monkeypatch.setenv("COLUMNS", "61")
    monkeypatch.setenv("TERM", "xterm-256color")
    monkeypatch.setenv("FORCE_COLOR", "1")
    monkeypatch.setenv("DBINIT_FORMAT", "json")
    text = gen_commands().help_text("check")
    assert "\x1b[" not in text
    assert f"## dbinit check\n\n```text\n{text}\n```\n" in page("commands.md")


def test_exit_code_table_is_complete() -> None:
    table = section(page("exit-codes.md"), "Exit codes", "docs/exit-codes.md")
    rows = re.findall(r"^\|\s*(\d+)\s*\|", table, re.M)
    codes = [int(code) for code in rows]
    assert len(codes) == len(set(codes)), "an exit code appears twice in the table"
    assert set(codes) == EXIT_CODES


@pytest.mark.parametrize("variable", sorted(ENV_VARIABLES | set(ENV_NAMES.values())))
def test_environment_variable_is_documented(variable: str) -> None:
    assert variable in page("settings.md"), f"docs/settings.md does not name {variable}"


def test_quickstart_has_exactly_two_commands() -> None:
    quickstart = section(README, "Quickstart")
    blocks = fenced_blocks(quickstart, "sh")
    assert len(blocks) == 2, blocks
    assert quickstart.count("```") == 4, "only the two ```sh blocks belong in the Quickstart"
    for block in blocks:
        lines = [line for line in block.splitlines() if line.strip()]
        assert len(lines) == 1, f"one copy-paste command per block, got {lines}"
        assert not lines[0].lstrip().startswith("$"), "no prompt: the line is copy-pasted"


def test_ci_runs_the_second_quickstart_command_verbatim() -> None:
    second = fenced_blocks(section(README, "Quickstart"), "sh")[1].strip()
    assert CI_RUN.is_file()
    ci = CI_RUN.read_text(encoding="utf-8")
    commands = [line for line in ci.splitlines() if not line.lstrip().startswith("#")]
    assert any(second in line for line in commands), f".ci/run does not run: {second}"
    assert "set -euo pipefail" in ci


def test_ci_builds_the_site_strictly_outside_the_repository() -> None:
    commands = [
        line
        for line in CI_RUN.read_text(encoding="utf-8").splitlines()
        if not line.lstrip().startswith("#")
    ]
    builds = [line for line in commands if "mkdocs build" in line]
    assert builds, ".ci/run does not build the documentation site"
    for line in builds:
        assert "--strict" in line
        assert "--site-dir" in line  # a temporary folder, never ./site in the checkout


def test_readme_is_short_and_links_into_the_docs() -> None:
    lines = README.splitlines()
    assert len(lines) <= 200, f"README.md has {len(lines)} lines; the details belong in docs/"
    links = re.findall(r"\]\((docs/[^)#\s]+)(?:#[^)\s]*)?\)", README)
    assert len(set(links)) >= 5, links
    for link in links:
        assert (REPO / link).is_file(), f"README.md links to a missing page: {link}"


def test_every_page_is_in_the_site_navigation() -> None:
    config = (REPO / "mkdocs.yml").read_text(encoding="utf-8")
    for path in sorted(DOCS.glob("*.md")):
        assert re.search(rf":\s*{re.escape(path.name)}\s*$", config, re.M), (
            f"docs/{path.name} is not in mkdocs.yml's nav"
        )


def test_library_logging_is_described_as_it_is() -> None:
    """Library events go to the stdlib logger `dbinit` when structlog is not
    configured (dbinit/logs.py), never to stdout through structlog's defaults."""
    library = page("library.md")
    assert 'logging.getLogger("dbinit")' in library
    assert "structlog's defaults print" not in library + README


def test_the_docs_cite_no_contract_file() -> None:
    """The contract file is not part of this repository: point at the docs pages."""
    CITATION = "contract " + "\N{SECTION SIGN}"  # spelt so that this file does not match
    offenders = [
        str(path.relative_to(REPO))
        for folder in ("dbinit", "tests", "docs")
        for path in sorted((REPO / folder).rglob("*"))
        if path.suffix in {".py", ".md"} and CITATION in path.read_text(encoding="utf-8").casefold()
    ]
    offenders += ["README.md"] if CITATION in README.casefold() else []
    assert offenders == [], offenders


def test_diagram_page_is_linked() -> None:
    assert "(diagram.md)" in page("index.md")
