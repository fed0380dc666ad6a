"""The benchmark harness still works: its smoke mode runs every measurement
at tiny sizes (peers that are not installed are reported as skipped)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.conftest import REPO


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
