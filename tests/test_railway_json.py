"""One railway.json per engine: docs/railway.md shows each example app's file
(included from it), never a second, different one for the same engine."""

from __future__ import annotations

import json
import re

import pytest

from tests.conftest import REPO

PAGE = REPO / "docs" / "railway.md"


def json_blocks(text: str) -> list[str]:
    return re.findall(r"```json\n(.*?)```", text, re.DOTALL)


@pytest.mark.parametrize("example", ["sqlite-railway", "postgres-railway"])
def test_the_page_includes_each_example_file(example: str) -> None:
    snippet = f'--8<-- "examples/{example}/railway.json"'
    assert [b.strip() for b in json_blocks(PAGE.read_text())].count(snippet) == 1


def test_no_other_railway_json_for_an_engine() -> None:
    """Every other complete railway.json on the page runs dbinit through
    railway-predeploy.sh (its own section), not a variant of an example's steps."""
    for block in json_blocks(PAGE.read_text()):
        if block.strip().startswith("--8<--"):
            continue
        try:
            doc = json.loads(block)
        except json.JSONDecodeError:
            continue  # a fragment, e.g. one "startCommand" line
        commands = [*doc["deploy"].get("preDeployCommand", []), doc["deploy"]["startCommand"]]
        assert all("dbinit " not in c for c in commands), block


def test_the_two_files_differ_only_in_where_the_database_step_runs() -> None:
    sqlite, postgres = (
        json.loads((REPO / "examples" / e / "railway.json").read_text())
        for e in ("sqlite-railway", "postgres-railway")
    )
    assert sqlite["deploy"]["preDeployCommand"] == ["dbinit deploy --pre-deploy"]
    assert postgres["deploy"]["preDeployCommand"] == ["dbinit deploy --pre-deploy"]
    assert sqlite["deploy"]["startCommand"].startswith("dbinit deploy && exec uvicorn ")
    assert (
        sqlite["deploy"]["startCommand"].removeprefix("dbinit deploy && ")
        == (postgres["deploy"]["startCommand"])
    )
    sqlite["deploy"].pop("startCommand")
    postgres["deploy"].pop("startCommand")
    assert sqlite == postgres
