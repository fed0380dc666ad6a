"""How long the app's readers wait while dbinit commits (issue 8 §6).

    python benchmarks/reader_stall.py              # 10 deploys per case
    python benchmarks/reader_stall.py --deploys 3  # quicker
    python benchmarks/reader_stall.py --out FILE.json

The app is `tests/helpers/readers.py`: one connection holding 100 ms read
transactions back to back (`busy_timeout` 5 s), in rollback-journal and WAL
mode. Two cases per mode:

* deploys: `dbinit init` adding one table, DEPLOYS times; the readers' longest
  wait for their read lock (their "stall") while it runs, and how long it took;
* endless reader: a second app process keeps one read transaction open for
  ever, so a rollback-journal COMMIT can never happen; `init --timeout 5`
  must give up (exit 75) within the limit + 1 s, and the other readers must not
  stall more than about one second meanwhile (WAL: it simply applies).
"""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
READERS = HERE.parent / "tests" / "helpers" / "readers.py"
DBINIT = str(Path(sys.executable).parent / "dbinit")
TIMEOUT_S = 5.0


def env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith(("DBINIT_", "RAILWAY_"))}


class Readers:
    def __init__(self, db: Path, name: str, hold: float) -> None:
        self.stop_file = db.parent / f"stop-{name}"
        self.out = db.parent / f"{name}.json"
        self.proc = subprocess.Popen(
            [
                sys.executable,
                str(READERS),
                str(db),
                str(self.stop_file),
                str(self.out),
                str(hold),
                "1",
                "5000",
            ],
            stdout=subprocess.PIPE,
            text=True,
            env=env(),
        )
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline().strip()
        if line != "ready":
            raise SystemExit(f"readers did not start: {line}")

    def stop(self) -> dict[str, Any]:
        self.stop_file.touch()
        self.proc.wait(timeout=120)
        result: dict[str, Any] = json.loads(self.out.read_text(encoding="utf-8"))
        return result


def stalls_between(result: dict[str, Any], start: float, end: float) -> list[float]:
    pairs = zip(result["read_times"], result["stalls"], strict=True)
    return [s for t, s in pairs if start <= t <= end]


def run_init(folder: Path, schemas: Path, timeout: float) -> tuple[int, float]:
    t0 = time.monotonic()
    proc = subprocess.run(
        [
            DBINIT,
            "init",
            "-d",
            "app.db",
            "-s",
            str(schemas),
            "--timeout",
            str(timeout),
            "--format",
            "json",
        ],
        cwd=folder,
        capture_output=True,
        text=True,
        env=env(),
        timeout=300,
    )
    return proc.returncode, time.monotonic() - t0


def make_db(folder: Path, journal: str) -> Path:
    db = folder / "app.db"
    conn = sqlite3.connect(db, isolation_level=None)
    conn.execute("CREATE TABLE app_events (id INTEGER PRIMARY KEY, payload TEXT)")
    conn.execute(f"PRAGMA journal_mode = {journal}")
    conn.close()
    return db


def schema(folder: Path, tables: int) -> Path:
    path = folder / f"schemas-{tables}"
    path.mkdir()
    sql = "CREATE TABLE app_events (id INTEGER PRIMARY KEY, payload TEXT);\n" + "".join(
        f"CREATE TABLE deploy_{i} (id INTEGER PRIMARY KEY);\n" for i in range(tables)
    )
    (path / "001.sql").write_text(sql, encoding="utf-8")
    return path


def deploys(journal: str, count: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        db = make_db(folder, journal)
        readers = Readers(db, "readers", 0.1)
        runs: list[tuple[int, float, float, float]] = []
        try:
            for i in range(1, count + 1):
                schemas = schema(folder, i)
                start = time.time()
                code, elapsed = run_init(folder, schemas, 30)
                runs.append((code, elapsed, start, time.time()))
                time.sleep(0.3)
        finally:
            result = readers.stop()
        during = [max(stalls_between(result, s, e + 0.3), default=0.0) for _, _, s, e in runs]
        return {
            "case": "deploys",
            "journal_mode": journal,
            "deploys": count,
            "exit_codes": sorted({c for c, *_ in runs}),
            "dbinit_max_s": round(max(e for _, e, *_ in runs), 3),
            "reader_max_stall_s": round(max(during), 4),
            "reader_errors": len(result["errors"]),
            "reads": result["reads"],
        }


def endless_reader(journal: str) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        db = make_db(folder, journal)
        long_reader = Readers(db, "long", 3600)
        readers = Readers(db, "readers", 0.1)
        try:
            code, elapsed = run_init(folder, schema(folder, 1), TIMEOUT_S)
        finally:
            result = readers.stop()
            long_reader.stop()
        return {
            "case": "endless reader",
            "journal_mode": journal,
            "timeout_s": TIMEOUT_S,
            "exit_codes": [code],
            "dbinit_max_s": round(elapsed, 3),
            "reader_max_stall_s": round(result["max_stall_s"], 4),
            "reader_errors": len(result["errors"]),
            "reads": result["reads"],
        }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--deploys", type=int, default=10)
    parser.add_argument("--out", type=Path, default=HERE / "results" / "reader-stall.json")
    args = parser.parse_args()
    rows = []
    for journal in ("delete", "wal"):
        rows.append(deploys(journal, args.deploys))
        rows.append(endless_reader(journal))
    print(
        f"{'case':<16}{'journal':<9}{'exit':<9}{'dbinit s':>10}{'reader stall s':>16}"
        f"{'reader errors':>15}"
    )
    for r in rows:
        codes = ",".join(map(str, r["exit_codes"]))
        print(
            f"{r['case']:<16}{r['journal_mode']:<9}{codes:<9}{r['dbinit_max_s']:>10}"
            f"{r['reader_max_stall_s']:>16}{r['reader_errors']:>15}"
        )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"rows": rows}, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
