"""The benchmark harness still works: its smoke mode runs every measurement
at tiny sizes (peers that are not installed are reported as skipped)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO
from tests.postgres.conftest import pg_url  # noqa: F401 (the fixture, used by name)


def test_benchmark_smoke_mode_runs_and_saves_results(tmp_path: Path) -> None:
    out = tmp_path / "results.json"
    proc = subprocess.run(
        [sys.executable, str(REPO / "benchmarks" / "run.py"), "--smoke", "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    doc = json.loads(out.read_text())
    assert doc["mode"] == "smoke"
    measured = {(r["group"], r["tool"]) for r in doc["rows"] if r["median_s"] is not None}
    for group in ("startup", "check", "init", "repair", "validate", "inputs"):
        assert (group, "dbinit") in measured, (group, measured)
    assert ("check", "stdlib floor") in measured
    goals = {g["text"]: g for g in doc["goals"]}
    assert goals["heavy modules imported by dbinit --version"]["value"] == 0
    assert "goals (ratios within this run)" in proc.stdout


def test_postgres_benchmark_smoke_mode_runs_and_saves_results(
    tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    server = request.getfixturevalue("pg_url")  # no server: skip, or fail under CI=true
    out = tmp_path / "results-pg.json"
    env = {**os.environ, "DBINIT_BENCH_PG_URL": server}
    proc = subprocess.run(
        [sys.executable, str(REPO / "benchmarks" / "pg.py"), "--smoke", "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    doc = json.loads(out.read_text())
    assert doc["mode"] == "smoke"
    rows = doc["rows"]
    measured = {(r["group"], r["tool"]) for r in rows if r["median_s"] is not None}
    for group in ("startup", "roundtrips", "check", "init", "stall"):
        assert (group, "dbinit") in measured, (group, measured)
    # Peers are measured or reported as skipped, never silently left out.
    tools = {(r["group"], r["tool"].split(" ")[0]) for r in rows}
    for group, tool in (("check", "migra"), ("check", "Alembic"), ("init", "migra")):
        assert (group, tool) in tools, (group, tool, tools)
    trips = [r for r in rows if r["group"] == "roundtrips"]
    assert len(trips) == 2
    assert all(r["extra"]["target.statements"] > 0 for r in trips)
    stall = next(r for r in rows if r["group"] == "stall" and r["tool"] == "dbinit")
    assert stall["extra"]["failed_inserts"] == 0 and stall["extra"]["lost_writes"] == 0
    goals = {g["text"]: g for g in doc["goals"]}
    assert goals["app writes failed or lost during dbinit init"]["value"] == 0
    assert "goals (ratios within this run)" in proc.stdout
    # Nothing left behind on the server.
    import psycopg

    with psycopg.connect(server) as conn:
        left = conn.execute(
            "SELECT count(*) FROM pg_database WHERE starts_with(datname, %s)",
            (doc["database_prefix"],),
        ).fetchone()
    assert left is not None and left[0] == 0


def test_copy_benchmark_smoke_mode_runs_and_saves_results(
    tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    server = request.getfixturevalue("pg_url")  # no server: skip, or fail under CI=true
    out = tmp_path / "results-copy.json"
    env = {**os.environ, "DBINIT_BENCH_PG_URL": server}
    proc = subprocess.run(
        [
            sys.executable,
            str(REPO / "benchmarks" / "sqlite_to_pg.py"),
            "--smoke",
            "--out",
            str(out),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    doc = json.loads(out.read_text())
    assert doc["mode"] == "smoke" and sum(doc["rows"].values()) == 2000
    by_tool = {r["tool"]: r for r in doc["results"]}
    # Every tool is measured or reported as skipped, never silently left out.
    assert set(by_tool) == {"dbinit copy", "pgloader", "sqlite3 | psql"}
    dbinit = by_tool["dbinit copy"]
    assert dbinit["ok"] and dbinit["next_insert_without_id_works"]
    assert dbinit["wall_s"]["median"] > 0 and dbinit["peak_rss_mib"]["median"] > 0
