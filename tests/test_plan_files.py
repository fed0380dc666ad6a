"""Reviewed changes on SQLite: in-place column renames, plan files, their approval.

Oracles are SQLite's own catalog (`sqlite_schema`, `PRAGMA table_xinfo`) and the
rows read back with the `sqlite3` module, never dbinit asked again.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from tests.conftest import make_db, write_schema


def catalog(path: Path) -> dict[str, str]:
    conn = sqlite3.connect(path)
    try:
        rows = conn.execute(
            "SELECT name, sql FROM sqlite_schema WHERE name NOT LIKE 'sqlite_%' "
            "AND name NOT LIKE '_dbinit%'"
        ).fetchall()
    finally:
        conn.close()
    return {name: sql for name, sql in rows}


def planned(doc: dict[str, Any]) -> list[str]:
    """Every statement the changes of a dry run would run, in order, once each."""
    out: list[str] = []
    for c in doc["changes"]:
        out += [s for s in c["sql"] if s not in out]
    return out


def rows(path: Path, sql: str) -> list[tuple[Any, ...]]:
    conn = sqlite3.connect(path)
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


# --- in-place RENAME COLUMN ----------------------------------------------------------

LIVE_RENAME = """
CREATE TABLE items (name TEXT NOT NULL, qty INTEGER DEFAULT 0);
CREATE INDEX items_name ON items (name) WHERE name IS NOT NULL;
CREATE TRIGGER items_touch AFTER UPDATE OF name ON items
BEGIN UPDATE items SET qty = qty + 1 WHERE rowid = new.rowid; END;
CREATE VIEW item_names AS SELECT name, qty FROM items;
INSERT INTO items VALUES ('a', 1), ('b', 2), ('c', 3);
DELETE FROM items WHERE name = 'b';
INSERT INTO items VALUES ('d', 4);
"""
DECLARED_RENAME = """
CREATE TABLE items (
    title TEXT NOT NULL, -- dbinit: renamed-from=name
    qty INTEGER DEFAULT 0
);
CREATE INDEX items_name ON items (title) WHERE title IS NOT NULL;
CREATE TRIGGER items_touch AFTER UPDATE OF title ON items
BEGIN UPDATE items SET qty = qty + 1 WHERE rowid = new.rowid; END;
CREATE VIEW item_names AS SELECT title, qty FROM items;
"""


def test_hinted_rename_alone_is_one_alter_in_place(tmp_path: Path, cli: Any) -> None:
    db = make_db(tmp_path / "app.db", LIVE_RENAME)
    write_schema(tmp_path / "schemas", {"items.sql": DECLARED_RENAME})
    before = rows(db, "SELECT rowid, name, qty FROM items ORDER BY rowid")
    dry = cli("repair", "--dry-run", "--format", "json")
    assert dry.exit_code == 0, dry.stdout
    assert planned(dry.json()) == ['ALTER TABLE "items" RENAME COLUMN "name" TO "title"']

    res = cli("repair", "--yes", "--no-backup", "--format", "json")
    assert res.exit_code == 0, res.stdout
    assert res.json()["applied"] == ['ALTER TABLE "items" RENAME COLUMN "name" TO "title"']
    # Rows and rowids kept (the 12-step copy would have made new pages; rowids here
    # have a gap that a renumbering would close).
    assert rows(db, "SELECT rowid, title, qty FROM items ORDER BY rowid") == before
    assert [r[0] for r in before] == [1, 3, 4]
    # SQLite's catalog: the index, trigger and view were kept and follow the column.
    cat = catalog(db)
    assert set(cat) == {"items", "items_name", "items_touch", "item_names"}
    assert '"title"' in cat["items_name"] and "name IS" not in cat["items_name"]
    assert '"title"' in cat["items_touch"]
    assert '"title"' in cat["item_names"]
    assert [r[1] for r in rows(db, "PRAGMA table_xinfo(items)")] == ["title", "qty"]
    assert cli("check").exit_code == 0
    # The trigger still works on the renamed column.
    conn = sqlite3.connect(db)
    conn.execute("UPDATE items SET title = 'z' WHERE rowid = 1")
    conn.commit()
    conn.close()
    assert rows(db, "SELECT qty FROM items WHERE rowid = 1") == [(2,)]


def test_rename_with_another_change_still_rebuilds(tmp_path: Path, cli: Any) -> None:
    make_db(tmp_path / "app.db", LIVE_RENAME)
    declared = DECLARED_RENAME.replace("qty INTEGER DEFAULT 0", "qty INTEGER DEFAULT 5")
    write_schema(tmp_path / "schemas", {"items.sql": declared})
    dry = cli("repair", "--dry-run", "--format", "json")
    assert dry.exit_code == 0, dry.stdout
    assert not any("RENAME COLUMN" in s for s in planned(dry.json()))
    assert any(s.startswith('CREATE TABLE "_dbinit_new_items"') for s in planned(dry.json()))


def test_rename_of_an_index_column_that_also_changes_recreates_only_it(
    tmp_path: Path, cli: Any
) -> None:
    """An index that differs for more than the rename is dropped and created after it."""
    db = make_db(tmp_path / "app.db", LIVE_RENAME)
    declared = DECLARED_RENAME.replace(
        "ON items (title) WHERE title IS NOT NULL", "ON items (title, qty)"
    )
    write_schema(tmp_path / "schemas", {"items.sql": declared})
    res = cli("repair", "--yes", "--no-backup", "--format", "json")
    assert res.exit_code == 0, res.stdout
    assert res.json()["applied"] == [
        'ALTER TABLE "items" RENAME COLUMN "name" TO "title"',
        'DROP INDEX "items_name"',
        "CREATE INDEX items_name ON items (title, qty)",
    ]
    assert "qty" in catalog(db)["items_name"]
    assert cli("check").exit_code == 0


# --- plan files and their approval -------------------------------------------------------

BASE = """
CREATE TABLE accounts (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    amount TEXT
);
CREATE TABLE audit (id INTEGER PRIMARY KEY, note TEXT);
"""
ROWS = """
INSERT INTO accounts (id, name, amount) VALUES (1, 'a', '10'), (2, 'b', '20'), (5, 'c', '35');
INSERT INTO audit (note) VALUES ('x'), ('y');
"""
# The three changes the issue names: a hinted rename, a type change, a removed table.
TARGETS = {
    "rename": BASE.replace(
        "name TEXT NOT NULL,", "title TEXT NOT NULL, -- dbinit: renamed-from=name"
    ),
    "type": BASE.replace(
        "amount TEXT", "amount INTEGER -- dbinit: using=CAST(amount AS INTEGER) * 100"
    ),
    "removed": BASE.replace("CREATE TABLE audit (id INTEGER PRIMARY KEY, note TEXT);", ""),
}


def start(tmp_path: Path, cli: Any, target: str) -> Path:
    """A database deployed from BASE with rows, and the files changed to `target`."""
    write_schema(tmp_path / "schemas", {"app.sql": BASE})
    assert cli("init", "-q").exit_code == 0
    db = tmp_path / "app.db"
    conn = sqlite3.connect(db)
    conn.executescript(ROWS)
    conn.close()
    write_schema(tmp_path / "schemas", {"app.sql": TARGETS[target]})
    return db


def accounts(db: Path) -> list[tuple[Any, ...]]:
    return rows(db, "SELECT * FROM accounts ORDER BY 1")


def file_digest(path: Path) -> str:
    import hashlib

    return "sha256:" + hashlib.sha256(path.read_bytes()).hexdigest()


import pytest  # noqa: E402


@pytest.mark.parametrize("target", list(TARGETS))
def test_each_change_goes_from_refused_to_applied_with_the_approved_plan(
    tmp_path: Path, cli: Any, target: str
) -> None:
    db = start(tmp_path, cli, target)
    before = accounts(db)
    untouched = file_digest(db)
    refused = cli("deploy", "--format", "json")
    if target == "removed":  # init keeps the undeclared table; validate fails on it
        assert refused.exit_code == 1, refused.stdout
    else:
        assert refused.exit_code == 3, refused.stdout
        assert "plans/" in refused.json()["error"]["message"]
        assert "is missing" in refused.json()["error"]["message"]
        assert "`dbinit plan" in refused.json()["error"]["message"]
    assert file_digest(db) == untouched

    args = ("--allow-data-loss",) if target == "removed" else ()
    res = cli("plan", *args, "--format", "json")
    assert res.exit_code == 0, res.stdout
    info = res.json()["plan_file"]
    path = tmp_path / info["file"]
    assert path.parent == tmp_path / "plans"
    text = path.read_text()
    assert text.startswith("-- dbinit plan\n")
    assert f"-- base: {info['base']}" in text and f"-- target: {info['target']}" in text
    assert "-- dbinit-version: " in text
    for stmt in info["statements"]:
        assert stmt + ";" in text
    assert info["needs_approval"] is True
    assert file_digest(db) == untouched  # planning writes nothing to the database

    done = cli("deploy", "--format", "json")
    assert done.exit_code == 0, done.stdout
    assert [s["status"] for s in done.json()["steps"]] == ["applied", "in_sync"]
    assert done.json()["steps"][0]["applied"] == info["statements"]
    after = accounts(db)
    assert len(after) == len(before) == 3
    assert [r[0] for r in after] == [1, 2, 5]
    if target == "type":
        assert rows(db, "SELECT typeof(amount), amount FROM accounts WHERE id = 5") == [
            ("integer", 3500)
        ]
    if target == "removed":
        assert "audit" not in catalog(db)
    else:
        assert rows(db, "SELECT count(*) FROM audit") == [(2,)]
    # History names the plan file and its hash.
    (recorded,) = rows(db, "SELECT command FROM _dbinit_history ORDER BY id DESC LIMIT 1")
    assert recorded[0] == f"init {Path('plans') / path.name} {file_digest(path)}"
    assert cli("deploy").exit_code == 0


def test_rename_plan_is_the_in_place_alter(tmp_path: Path, cli: Any) -> None:
    start(tmp_path, cli, "rename")
    res = cli("plan", "--format", "json")
    assert res.json()["plan_file"]["statements"] == [
        'ALTER TABLE "accounts" RENAME COLUMN "name" TO "title"'
    ]


def test_removed_table_without_allow_data_loss_needs_the_flag(tmp_path: Path, cli: Any) -> None:
    db = start(tmp_path, cli, "removed")
    assert cli("plan").exit_code == 0
    untouched = file_digest(db)
    res = cli("deploy", "--format", "json")
    assert res.exit_code == 3, res.stdout  # the approved plan drops rows: the header must say so
    message = res.json()["error"]["message"]
    assert message.startswith(
        f"plan file {Path('plans') / next((tmp_path / 'plans').iterdir()).name}"
    )
    assert "--allow-data-loss" in message
    assert file_digest(db) == untouched
    assert cli("init").exit_code == 3
    forced = cli("deploy", "--allow-data-loss", "--format", "json")
    assert forced.exit_code == 0, forced.stdout
    assert "audit" not in catalog(db)


@pytest.mark.parametrize("stale", ["base", "files", "statements"])
def test_a_stale_plan_is_refused_and_nothing_is_applied(
    tmp_path: Path, cli: Any, stale: str
) -> None:
    db = start(tmp_path, cli, "type")
    assert cli("plan").exit_code == 0
    (path,) = (tmp_path / "plans").iterdir()
    if stale == "base":  # the database changed since the plan was made
        conn = sqlite3.connect(db)
        conn.execute("CREATE INDEX accounts_name ON accounts (name)")
        conn.close()
    elif stale == "files":  # the schema files changed since
        write_schema(
            tmp_path / "schemas", {"app.sql": TARGETS["type"].replace("note TEXT", "note BLOB")}
        )
    else:  # the file's statements are not what dbinit computes
        text = path.read_text().replace("* 100)", "* 1000)")
        assert text != path.read_text()
        path.write_text(text)
    untouched = file_digest(db)
    res = cli("deploy", "--format", "json")
    assert res.exit_code == 3, res.stdout
    message = res.json()["error"]["message"]
    assert str(Path("plans") / path.name) in message and "stale" in message, message
    assert "`dbinit plan" in message
    assert file_digest(db) == untouched
    assert cli("init", "--dry-run").exit_code == 3


def test_nothing_to_plan_writes_no_file(tmp_path: Path, cli: Any) -> None:
    write_schema(tmp_path / "schemas", {"app.sql": BASE})
    assert cli("init", "-q").exit_code == 0
    res = cli("plan", "--format", "json")
    assert res.exit_code == 0, res.stdout
    assert res.json()["plan_file"]["file"] is None
    assert not (tmp_path / "plans").exists()
    md = cli("plan", "--format", "markdown")
    assert md.exit_code == 0 and "nothing to plan" in md.stdout


def test_safe_changes_never_need_a_plan(tmp_path: Path, cli: Any) -> None:
    write_schema(tmp_path / "schemas", {"app.sql": BASE})
    assert cli("init", "-q").exit_code == 0
    write_schema(tmp_path / "schemas", {"app.sql": BASE + "CREATE TABLE more (x);"})
    res = cli("plan", "--check", "--format", "json")
    assert res.exit_code == 0, res.stdout
    assert res.json()["plan_file"]["needs_approval"] is False
    assert not (tmp_path / "plans").exists()
    assert cli("deploy").exit_code == 0


def test_markdown_and_check(tmp_path: Path, cli: Any) -> None:
    start(tmp_path, cli, "type")
    res = cli("plan", "--check")
    assert res.exit_code == 3, res.stdout
    md = cli("plan", "--format", "markdown")
    assert md.exit_code == 0
    assert md.stdout.startswith("### dbinit plan `plans/")
    assert "| rebuild | column_changed | `accounts.amount` |" in md.stdout
    assert "```sql" in md.stdout and "**Needs approval**" in md.stdout
    assert cli("plan", "--check").exit_code == 0
    assert cli("check", "--format", "markdown").exit_code == 2


def test_plans_folder_inside_the_schema_folder_is_a_config_error(tmp_path: Path, cli: Any) -> None:
    start(tmp_path, cli, "type")
    res = cli("plan", "--output-dir", "schemas/plans", "--format", "json")
    assert res.exit_code == 78, res.stdout
    assert not (tmp_path / "schemas" / "plans").exists()
    res = cli("plan", "--format", "json", env={"DBINIT_PLANS_DIR": "elsewhere"})
    assert res.exit_code == 0
    assert res.json()["plan_file"]["file"].startswith("elsewhere/")
    assert cli("deploy", env={"DBINIT_PLANS_DIR": "elsewhere"}).exit_code == 0


def test_using_hints_are_read_from_the_column_line_only() -> None:
    from dbinit.hints import using_hints

    sql = (
        "CREATE TABLE t (\n"
        "  id INTEGER PRIMARY KEY,\n"
        "  amount INTEGER, -- dbinit: using=CAST(amount AS INTEGER) * 100\n"
        '  "Odd Name" REAL -- dbinit: renamed-from=old using=round("Odd Name", 2)\n'
        "  , note TEXT DEFAULT '-- dbinit: using=not_a_hint',\n"
        "  CONSTRAINT c CHECK (id > 0) -- dbinit: using=ignored\n"
        ")"
    )
    assert using_hints(sql) == {
        ("amount", False): "CAST(amount AS INTEGER) * 100",
        ("Odd Name", True): 'round("Odd Name", 2)',
    }


def test_using_applies_only_when_the_type_changes(tmp_path: Path, cli: Any) -> None:
    """A hint left in the file after its deploy does not convert the values again
    when the table is rebuilt for another reason."""
    db = start(tmp_path, cli, "type")
    assert cli("plan").exit_code == 0
    assert cli("deploy").exit_code == 0
    assert rows(db, "SELECT amount FROM accounts WHERE id = 5") == [(3500,)]
    write_schema(
        tmp_path / "schemas",
        {
            "app.sql": TARGETS["type"].replace(
                "name TEXT NOT NULL", "name TEXT NOT NULL DEFAULT 'x'"
            )
        },
    )
    res = cli("plan", "--format", "json")
    assert res.exit_code == 0, res.stdout
    (copy,) = [s for s in res.json()["plan_file"]["statements"] if s.startswith("INSERT")]
    assert '"amount" FROM "accounts"' in copy and "* 100" not in copy
    assert cli("deploy").exit_code == 0
    assert rows(db, "SELECT amount FROM accounts WHERE id = 5") == [(3500,)]


# --- --from-ref: the base is the files at a commit ----------------------------------------


def git(cwd: Path, *args: str) -> str:
    import subprocess

    done = subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@x.io", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout


def repo_at_base(tmp_path: Path) -> None:
    write_schema(tmp_path / "schemas", {"app.sql": BASE})
    git(tmp_path, "init", "-q", "-b", "main")
    git(tmp_path, "add", "schemas")
    git(tmp_path, "commit", "-q", "-m", "base")


@pytest.mark.parametrize("target", list(TARGETS))
def test_from_ref_needs_no_database_and_its_plan_approves_the_deploy(
    tmp_path: Path, cli: Any, target: str
) -> None:
    repo_at_base(tmp_path)
    write_schema(tmp_path / "schemas", {"app.sql": TARGETS[target]})
    args = ("--allow-data-loss",) if target == "removed" else ()
    res = cli("plan", "--from-ref", "main", *args, "--format", "json", "-d", "nowhere/prod.db")
    assert res.exit_code == 0, res.stdout
    assert not (tmp_path / "nowhere").exists()  # no database was read or created
    info = res.json()["plan_file"]
    assert info["needs_approval"] is True
    text = (tmp_path / info["file"]).read_text()
    assert "-- base-from: the schema files at git main" in text

    # Production, deployed from the base files: the plan from the ref approves it.
    write_schema(tmp_path / "schemas", {"app.sql": BASE})
    assert cli("init", "-q").exit_code == 0
    db = tmp_path / "app.db"
    conn = sqlite3.connect(db)
    conn.executescript(ROWS)
    conn.close()
    write_schema(tmp_path / "schemas", {"app.sql": TARGETS[target]})
    again = cli("plan", "--check", "--format", "json")
    assert again.exit_code == 0, again.stdout
    assert again.json()["plan_file"]["base"] == info["base"]  # the database's fingerprint
    done = cli("deploy", "--format", "json")
    assert done.exit_code == 0, done.stdout
    assert done.json()["steps"][0]["applied"] == info["statements"]
    assert [r[0] for r in accounts(db)] == [1, 2, 5]


def test_from_ref_errors(tmp_path: Path, cli: Any) -> None:
    repo_at_base(tmp_path)
    res = cli("plan", "--from-ref", "no-such-ref", "--format", "json")
    assert res.exit_code == 78, res.stdout
    assert "no-such-ref" in res.json()["error"]["message"]
    res = cli("plan", "--from-ref", "--upload-pack=x", "--format", "json")
    assert res.exit_code == 78, res.stdout
    # Files first added after the ref: the base is an empty database.
    git(tmp_path, "mv", "schemas", "other")
    git(tmp_path, "commit", "-q", "-m", "moved")
    res = cli("plan", "--from-ref", "HEAD", "-s", "schemas2", "--format", "json")
    assert res.exit_code == 66, res.stdout  # no schema folder now: as any command
    write_schema(tmp_path / "schemas2", {"app.sql": BASE})
    res = cli("plan", "--from-ref", "HEAD", "-s", "schemas2", "--format", "json")
    assert res.exit_code == 0, res.stdout
    assert res.json()["plan_file"]["needs_approval"] is False  # only creates


# --- the pull-request workflow's shell steps, run locally ---------------------------------

WORKFLOW = (
    Path(__file__).resolve().parent.parent / "examples" / "github-actions" / "dbinit-plan.yml"
)
FAKE_GH = """#!/bin/sh
# gh stand-in: records its arguments and the comment body; --edit-last fails until a
# comment exists (as gh does when there is none to edit).
echo "$*" >> "$GH_LOG"
case " $* " in *" --edit-last "*) [ -f "$GH_STATE" ] || exit 1 ;; esac
while [ $# -gt 0 ]; do
  if [ "$1" = "--body-file" ]; then cp "$2" "$GH_BODY"; fi
  shift
done
touch "$GH_STATE"
"""


def workflow_steps() -> list[dict[str, Any]]:
    import yaml

    doc = yaml.safe_load(WORKFLOW.read_text())
    assert doc.get("on", doc.get(True)) == {"pull_request": None}  # YAML 1.1: on is True
    assert doc["permissions"]["pull-requests"] == "write"
    return [s for s in doc["jobs"]["plan"]["steps"] if "run" in s and "pip install" not in s["run"]]


def run_workflow(work: Path, tmp: Path) -> tuple[list[int], str, str]:
    """Each `run:` step under `bash -e` as Actions runs it; step outputs substituted.
    Returns each step's exit code (stopping at the first failure), gh's log and the
    comment it posted."""
    import os
    import re
    import subprocess
    import sys

    bin_dir = tmp / "bin"
    bin_dir.mkdir(exist_ok=True)
    (bin_dir / "gh").write_text(FAKE_GH)
    (bin_dir / "gh").chmod(0o755)
    runner_temp = tmp / "runner"
    runner_temp.mkdir(exist_ok=True)
    outputs = tmp / "outputs"
    outputs.write_text("")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DBINIT_", "RAILWAY_"))} | {
        "PATH": f"{bin_dir}:{Path(sys.executable).parent}:{os.environ['PATH']}",
        "RUNNER_TEMP": str(runner_temp),
        "GITHUB_OUTPUT": str(outputs),
        "PR_NUMBER": "7",
        "GH_LOG": str(tmp / "gh.log"),
        "GH_BODY": str(tmp / "gh.body"),
        "GH_STATE": str(tmp / "gh.state"),
        "DBINIT_DATABASE_URL": "sqlite:///production-is-not-here.db",
        "DBINIT_SCHEMA_DIR": "schemas",
        "DBINIT_LOG_FORMAT": "json",
    }
    codes = []
    for step in workflow_steps():
        values = dict(
            line.split("=", 1) for line in outputs.read_text().splitlines() if "=" in line
        )
        script = re.sub(
            r"\$\{\{\s*steps\.plan\.outputs\.(\w+)\s*\}\}",
            lambda m, values=values: values[m.group(1)],
            step["run"],
        )
        done = subprocess.run(
            ["bash", "-e", "-c", script],
            cwd=work,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        codes.append(done.returncode)
        if done.returncode != 0:
            break
    log = (tmp / "gh.log").read_text() if (tmp / "gh.log").exists() else ""
    body = (tmp / "gh.body").read_text() if (tmp / "gh.body").exists() else ""
    assert not (work / "production-is-not-here.db").exists()
    return codes, log, body


def pull_request(tmp_path: Path, target: str) -> Path:
    """A clone whose origin/main has BASE and whose branch changes it to `target`."""
    origin, work = tmp_path / "origin.git", tmp_path / "work"
    git(tmp_path, "init", "-q", "--bare", "-b", "main", str(origin))
    git(tmp_path, "clone", "-q", str(origin), str(work))
    write_schema(work / "schemas", {"app.sql": BASE})
    git(work, "checkout", "-q", "-b", "main")
    git(work, "add", "schemas")
    git(work, "commit", "-q", "-m", "base")
    git(work, "push", "-q", "origin", "main")
    git(work, "checkout", "-q", "-b", "feature")
    write_schema(work / "schemas", {"app.sql": TARGETS[target]})
    git(work, "commit", "-q", "-am", "change")
    return work


def test_workflow_fails_without_an_approved_plan_and_passes_with_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    work = pull_request(tmp_path, "type")
    codes, log, body = run_workflow(work, tmp_path)
    assert codes == [0, 0, 3], (codes, log, body)
    assert log.splitlines() == [
        "pr comment 7 --edit-last --body-file " + str(tmp_path / "runner" / "plan.md"),
        "pr comment 7 --body-file " + str(tmp_path / "runner" / "plan.md"),
    ]
    assert body.startswith("### dbinit plan `plans/")
    assert "| rebuild | column_changed | `accounts.amount` |" in body
    assert "**Needs approval**" in body and "**✗ refused** (exit 3)" in body
    assert "is missing" in body

    # The author writes the plan (as the refusal says), reviews it and commits it.
    monkeypatch.chdir(work)
    res = plan_here("plan", "--from-ref", "origin/main")
    assert res == 0
    git(work, "add", "plans")
    git(work, "commit", "-q", "-m", "approve the plan")
    codes, log, body = run_workflow(work, tmp_path)
    assert codes == [0, 0, 0], (codes, log, body)
    assert log.splitlines()[-1].startswith("pr comment 7 --edit-last")  # the comment is edited
    assert "**✓ Approved**: `plans/" in body


def test_workflow_passes_safe_changes_and_no_changes(tmp_path: Path) -> None:
    work = pull_request(tmp_path, "type")
    write_schema(work / "schemas", {"app.sql": BASE + "CREATE TABLE more (x TEXT);"})
    git(work, "commit", "-q", "-am", "only a new table")
    codes, _, body = run_workflow(work, tmp_path)
    assert codes == [0, 0, 0]
    assert "Safe changes only" in body
    write_schema(work / "schemas", {"app.sql": BASE})
    git(work, "commit", "-q", "-am", "back to main")
    codes, _, body = run_workflow(work, tmp_path)
    assert codes == [0, 0, 0]
    assert "nothing to plan" in body


def plan_here(*args: str) -> int:
    from typer.testing import CliRunner

    from dbinit.cli import app

    return (
        CliRunner().invoke(app, list(args), env={"DBINIT_DATABASE_URL": "sqlite:///x.db"}).exit_code
    )


def test_text_report_names_the_plan_file_and_no_leftover_extras(tmp_path: Path, cli: Any) -> None:
    start(tmp_path, cli, "removed")
    assert cli("plan", "--allow-data-loss").exit_code == 0
    (path,) = (tmp_path / "plans").iterdir()
    res = cli("init")
    assert res.exit_code == 0, res.stdout
    assert f"with the approved plan file {Path('plans') / path.name}" in res.stdout
    assert "extra object" not in res.stdout
    doc = cli("history", "--format", "json").json()
    assert doc["history"][0]["command"].startswith(f"init {Path('plans') / path.name} sha256:")


def test_schema_folder_holding_the_plans_folder_still_refuses_with_3(
    tmp_path: Path, cli: Any
) -> None:
    """Schema files in the working folder itself: no plans folder can be beside them;
    init still refuses a rebuild with 3 (never a configuration error)."""
    make_db(tmp_path / "app.db", "CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT);")
    (tmp_path / "a.sql").write_text("CREATE TABLE t (id INTEGER PRIMARY KEY, v INTEGER);")
    res = cli("init", "-s", ".", "--format", "json")
    assert res.exit_code == 3, res.stdout
    assert "inside the schema folder" in res.json()["error"]["message"]
    assert cli("plan", "-s", ".").exit_code == 78
    assert cli("plan", "-s", ".", "-o", "../elsewhere").exit_code == 0


def test_a_type_change_without_using_says_values_are_copied_unconverted(
    tmp_path: Path, cli: Any
) -> None:
    db = make_db(
        tmp_path / "app.db",
        "CREATE TABLE t (id INTEGER PRIMARY KEY, v REAL); INSERT INTO t VALUES (1, 100.5);",
    )
    write_schema(
        tmp_path / "schemas", {"a.sql": "CREATE TABLE t (id INTEGER PRIMARY KEY, v INTEGER);"}
    )
    res = cli("check", "--format", "json")
    (change,) = res.json()["changes"]
    assert [h["type"] for h in change["hazards"]] == ["conversion"]
    assert cli("plan").exit_code == 0
    (path,) = (tmp_path / "plans").iterdir()
    assert (
        "--     hazard conversion: values are copied as they are (REAL → INTEGER)"
        in path.read_text()
    )
    assert cli("deploy").exit_code == 0
    assert rows(db, "SELECT typeof(v), v FROM t") == [("real", 100.5)]  # what the hazard says
    write_schema(
        tmp_path / "schemas",
        {
            "a.sql": "CREATE TABLE t (\n id INTEGER PRIMARY KEY,\n v TEXT -- dbinit: using=printf('%.2f', v)\n);"
        },
    )
    (change,) = cli("check", "--format", "json").json()["changes"]
    assert change["hazards"] == []


def test_a_plans_folder_that_cannot_be_written_is_a_contract_error(
    tmp_path: Path, cli: Any
) -> None:
    import os

    if os.geteuid() == 0:
        # root writes anywhere: a file where the folder should be is the failure instead
        start(tmp_path, cli, "type")
        (tmp_path / "plans").write_text("not a folder")
        res = cli("plan", "--format", "json")
        assert res.exit_code == 73, res.stdout
        return
    start(tmp_path, cli, "type")
    (tmp_path / "plans").mkdir()
    (tmp_path / "plans").chmod(0o555)
    res = cli("plan", "--format", "json")
    assert res.exit_code == 77, res.stdout


def test_an_approved_rebuild_by_init_keeps_a_backup_from_before_it(
    tmp_path: Path, cli: Any
) -> None:
    """ "Backup before any rebuild": `init` applying an approved plan file backs the
    database up first, as `repair` does; the backup holds the rows and schema from
    before the change."""
    db = start(tmp_path, cli, "type")
    before = accounts(db)
    assert cli("plan", "--format", "json").exit_code == 0
    res = cli("init", "--format", "json")
    assert res.exit_code == 0, res.stdout
    backup = res.json()["backup"]
    assert backup, res.stdout
    assert Path(backup).parent == db.parent
    assert rows(Path(backup), "SELECT * FROM accounts ORDER BY 1") == before
    assert "amount TEXT" in catalog(Path(backup))["accounts"]
    assert "amount INTEGER" in catalog(db)["accounts"]


def test_an_approved_plan_that_no_longer_matches_leaves_no_backup(tmp_path: Path, cli: Any) -> None:
    """A refusal under the lock changes nothing, so its backup is not kept either."""
    db = start(tmp_path, cli, "type")
    assert cli("plan", "--format", "json").exit_code == 0
    conn = sqlite3.connect(db)
    conn.execute("CREATE TABLE sneaky (id INTEGER PRIMARY KEY)")
    conn.close()
    res = cli("init", "--format", "json")
    assert res.exit_code in (1, 3), res.stdout
    assert res.json()["backup"] is None
    assert [p.name for p in db.parent.iterdir() if p.name.endswith(".bak")] == []
