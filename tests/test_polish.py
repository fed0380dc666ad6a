"""Issue 18 §4: the small defects a new user met in the trial (docs, output, hints)."""

from __future__ import annotations

import json
import re
import shlex
import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml

from tests.conftest import REPO, child_env, make_db, write_schema

EXAMPLES = REPO / "examples"
DBINIT = str(Path(sys.executable).parent / "dbinit")


def railway_deploy_blocks() -> list[tuple[str, dict[str, object]]]:
    found: list[tuple[str, dict[str, object]]] = []
    for path in sorted(EXAMPLES.glob("*/railway.json")):
        found.append((str(path.relative_to(REPO)), json.loads(path.read_text())["deploy"]))
    for name in ("docs/railway.md", "README.md"):
        page = (REPO / name).read_text(encoding="utf-8")
        for block in re.findall(r"```json\n(.*?)```", page, re.S):
            if block.lstrip().startswith("{") and "--8<--" not in block:
                found.append((name, json.loads(block)["deploy"]))
    return found


def test_no_railway_restart_policy_loops_on_a_failure_that_repeats() -> None:
    """A pending rebuild exits 3 on every start: an unbounded ON_FAILURE (or ALWAYS)
    restarts it forever. Every railway.json we show bounds its restarts."""
    blocks = railway_deploy_blocks()
    assert len(blocks) >= 3  # the two examples (docs/railway.md includes them) and more
    for where, deploy in blocks:
        policy = deploy.get("restartPolicyType")
        if policy is None or policy == "NEVER":
            continue
        assert policy == "ON_FAILURE", (where, deploy)
        retries = deploy.get("restartPolicyMaxRetries")
        assert isinstance(retries, int) and 0 < retries <= 5, (where, deploy)


WIDE = "CREATE TABLE wide (id INTEGER PRIMARY KEY, {})".format(
    ", ".join(f"column_number_{i} TEXT" for i in range(40))
)


def test_history_shows_each_statement_on_one_line(cli: Any, tmp_path: Path) -> None:
    """One long CREATE TABLE wrapped over dozens of table lines: the text view
    shows its start on one line; the JSON report keeps the whole statement."""
    write_schema(
        tmp_path / "schemas", {"001.sql": WIDE + ";\nCREATE INDEX w1 ON wide (\n  id\n);\n"}
    )
    assert cli("init").exit_code == 0
    res = cli("history")
    assert res.exit_code == 0, (res.stdout, res.stderr)
    body = [line for line in res.stdout.splitlines() if line.startswith("│")]
    assert len(body) == 2, res.stdout  # one line per statement
    # cut with "…" (the column's padding depends on the other columns' widths)
    assert "CREATE TABLE wide (id" in body[0] and re.search(r"… +│", body[0]), body[0]
    assert "CREATE INDEX w1 ON wide" in body[1] and re.search(r"… +│", body[1]), body[1]
    doc = cli("history", "--format", "json").json()
    assert WIDE in doc["history"][0]["statements"]


def test_inspect_leaves_rename_hints_out_of_the_stored_sql(cli: Any, tmp_path: Path) -> None:
    """SQLite stores a CREATE TABLE as written, hint comments included: inspect
    prints the schema, not a rename that already happened."""
    write_schema(
        tmp_path / "schemas",
        {
            "001.sql": "CREATE TABLE t (\n"
            "    id INTEGER PRIMARY KEY,\n"
            "    email TEXT NOT NULL, -- dbinit: renamed-from=mail\n"
            "    note TEXT /* dbinit: renamed-from=\"old note\" */ DEFAULT 'a -- b'\n"
            ");\n"
        },
    )
    assert cli("init").exit_code == 0
    res = cli("inspect")
    assert res.exit_code == 0, (res.stdout, res.stderr)
    assert "renamed-from" not in res.stdout
    assert "email TEXT NOT NULL," in res.stdout and "DEFAULT 'a -- b'" in res.stdout
    assert cli("inspect", "--output-dir", "out").exit_code == 0
    assert "renamed-from" not in "".join(p.read_text() for p in (tmp_path / "out").iterdir())
    res = cli("check", "--schema-dir", "out", "--format", "json")
    assert res.exit_code == 0 and res.json()["changes"] == [], res.stdout


PORTABLE = """
CREATE TABLE zones (id integer PRIMARY KEY);
CREATE TABLE accounts (id integer PRIMARY KEY, zone integer REFERENCES zones (id));
CREATE INDEX accounts_zone ON accounts (zone);
CREATE TABLE branches (id integer PRIMARY KEY);
CREATE VIEW zone_ids AS SELECT id FROM zones;
"""
# One numbering on both engines: from 001, a referenced table before the tables
# that refer to it (ties by name), views last (tests/postgres/test_polish_pg.py
# checks PostgreSQL against the same list).
PORTABLE_FILES = ["001_branches.sql", "002_zones.sql", "003_accounts.sql", "004_views.sql"]


def test_inspect_files_are_numbered_in_dependency_order(cli: Any, tmp_path: Path) -> None:
    write_schema(tmp_path / "schemas", {"001.sql": PORTABLE})
    assert cli("init").exit_code == 0
    assert cli("inspect", "--output-dir", "out").exit_code == 0
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == PORTABLE_FILES


def test_a_missing_column_cites_its_own_line(cli: Any, tmp_path: Path) -> None:
    make_db(tmp_path / "app.db", "CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT);")
    write_schema(
        tmp_path / "schemas",
        {
            "001.sql": "-- accounts\n"
            "CREATE\n  TABLE t (\n"
            "    id INTEGER PRIMARY KEY,\n"
            "    a TEXT, /* a comment, with a comma */ b TEXT,\n"
            '    "c d" TEXT\n'
            ");\n"
        },
    )
    res = cli("check", "--format", "json")
    assert res.exit_code == 1, (res.stdout, res.stderr)
    details = {c["column"]: c["detail"] for c in res.json()["changes"]}
    assert details["b"].startswith("declared in schemas/001.sql:5,"), details
    assert details["c d"].startswith("declared in schemas/001.sql:6,"), details


HINT = "add `-- dbinit: renamed-from=mail` on its line"


def test_a_likely_rename_suggests_the_hint(cli: Any, tmp_path: Path) -> None:
    """A column missing where an undeclared one of the same type sits: the report
    says how to keep its values (a rename hint) instead of only drop + add."""
    make_db(
        tmp_path / "app.db",
        "CREATE TABLE t (id INTEGER PRIMARY KEY, mail TEXT, n INTEGER, x REAL, y BLOB);",
    )
    write_schema(
        tmp_path / "schemas",
        {
            "001.sql": "CREATE TABLE t (id INTEGER PRIMARY KEY, email TEXT, n INTEGER, z BLOB, w TEXT);"
        },
    )
    res = cli("check", "--format", "json")
    assert res.exit_code == 1, (res.stdout, res.stderr)
    changes = {(c["kind"], c["column"]): c["detail"] for c in res.json()["changes"]}
    assert HINT in changes[("missing_column", "email")], changes
    assert "email" in changes[("extra_column", "mail")], changes
    # another type (x REAL / z BLOB), or another place (w TEXT): no suggestion
    assert "renamed-from" not in changes[("missing_column", "z")], changes
    assert "renamed-from" not in changes[("missing_column", "w")], changes
    assert "renamed-from" not in changes[("extra_column", "x")], changes
    text = cli("check").stdout
    assert "renamed-from=mail" in text, text


def test_deploy_on_a_terminal_logs_console_lines(shipped_schemas: Path, tmp_path: Path) -> None:
    """`dbinit deploy` in a terminal: no JSON log lines mixed into the report;
    JSON lines where no terminal is (a platform's log collector)."""
    from tests.test_terminal import run_tty

    code, term, _ = run_tty(tmp_path, "deploy", "--log-level", "info", stdout_tty=True)
    assert code == 0, term
    assert "schema.loaded" in term, term  # the logs are there, as console lines
    assert not [line for line in term.splitlines() if line.lstrip().startswith('{"')], term
    done = subprocess.run(
        [DBINIT, "deploy"],
        cwd=tmp_path,
        env=child_env(),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert all(json.loads(line) for line in done.stderr.splitlines()), done.stderr


def test_the_pre_commit_hook_shows_an_error_once(tmp_path: Path) -> None:
    """pre-commit shows the hook's stdout and stderr together: the error panel and
    an error log line said the same thing twice."""
    hook = yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))[0]
    write_schema(tmp_path / "schemas", {"001.sql": "CREATE TABLE t (id INTEGER PRIMARY KEY,);\n"})
    done = subprocess.run(
        [DBINIT, *shlex.split(hook["entry"])[1:]],
        cwd=tmp_path,
        env=child_env(),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        timeout=120,
    )
    assert done.returncode == 65, done.stdout
    assert done.stdout.count("schemas/001.sql:1") == 1, done.stdout


def test_the_docs_site_ships_mermaid() -> None:
    """The diagram renders with no network: mkdocs-material uses a `mermaid`
    already defined instead of fetching it from a CDN, and the site loads the
    copy in docs/javascripts (MIT, its licence beside it)."""
    config = (REPO / "mkdocs.yml").read_text(encoding="utf-8")
    assert "  - javascripts/mermaid.min.js" in config.split("extra_javascript:")[1].split("\n\n")[0]
    script = (REPO / "docs" / "javascripts" / "mermaid.min.js").read_text(encoding="utf-8")
    assert 'globalThis["mermaid"] = ' in script[-300:]
    licence = (REPO / "docs" / "javascripts" / "mermaid.LICENSE.txt").read_text(encoding="utf-8")
    assert licence.startswith("The MIT License")
    assert "stylesheets/extra.css" in config
    assert (REPO / "docs" / "stylesheets" / "extra.css").is_file()
