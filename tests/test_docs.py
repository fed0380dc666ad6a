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
import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest
import typer.main

from dbinit.cli import app
from dbinit.settings import ENV_NAMES
from tests.conftest import REPO, child_env, digest, make_db

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


def railway_start_commands() -> list[str]:
    """Every `startCommand` of docs/railway.md, as the shell gets it."""
    found = re.findall(r'"startCommand": ("(?:[^"\\]|\\.)*")', page("railway.md"))
    return [json.loads(text) for text in found]


def start(command: str, cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    """A documented start command as Railway runs it (a shell, dbinit on PATH), with
    the app replaced by an echo."""
    app = "exec uvicorn main:app --host 0.0.0.0 --port ${PORT:-8000}"
    assert command.endswith(app), command
    path = str(Path(sys.executable).parent) + os.pathsep + os.environ.get("PATH", os.defpath)
    return subprocess.run(
        ["sh", "-c", command.replace(app, "echo APP-STARTED")],
        cwd=cwd,
        env=child_env(PATH=path, DBINIT_LOG_FORMAT="json", **env),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_railway_json_examples_parse_and_gate_on_the_healthcheck() -> None:
    for where, text in (("README.md", README), ("docs/railway.md", page("railway.md"))):
        blocks = [b for b in fenced_blocks(text, "json") if b.lstrip().startswith("{")]
        assert blocks, where
        for block in blocks:
            if "--8<--" in block:
                continue
            deploy = json.loads(block)["deploy"]
            if "dbinit deploy" in json.dumps(deploy):
                assert deploy["healthcheckPath"] == "/health/db", (where, deploy)


def test_railway_repair_once_recipe_repairs_then_starts_the_app(tmp_path: Path) -> None:
    """docs/railway.md, "When a rebuild is pending": the documented start command
    stops the deploy on a pending rebuild (exit 3, the app never starts, the file
    untouched), and with REPAIR_DATABASE_ON_START=1 repairs (a backup first), then
    starts the app on a database in sync."""
    (command,) = [c for c in railway_start_commands() if "REPAIR_DATABASE_ON_START" in c]
    app = tmp_path / "app"
    shutil.copytree(REPO / "schemas", app / "schemas")
    db = make_db(
        app / "app.db",
        "CREATE TABLE users (id INTEGER PRIMARY KEY AUTOINCREMENT, email TEXT UNIQUE NOT NULL,"
        " password_hash TEXT NOT NULL, created_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP);"
        "INSERT INTO users (email, password_hash) VALUES ('ada@example.com', 'x');",
    )
    before = digest(db)

    refused = start(command, app)
    assert refused.returncode == 3, refused.stderr
    assert "APP-STARTED" not in refused.stdout
    assert digest(db) == before

    repaired = start(command, app, REPAIR_DATABASE_ON_START="1")
    assert repaired.returncode == 0, repaired.stdout + repaired.stderr
    assert repaired.stdout.rstrip().endswith("APP-STARTED")
    assert "Dry run: would apply" in repaired.stdout  # the plan is in the log first
    assert [p.name for p in app.glob("app.db.*.bak")], "no backup beside the database"
    rows = sqlite3.connect(db).execute("SELECT email, updated_at IS NOT NULL FROM users")
    assert rows.fetchall() == [("ada@example.com", 1)]

    again = start(command, app)  # the variable deleted: a normal deploy
    assert again.returncode == 0, again.stderr
    assert "APP-STARTED" in again.stdout
