"""Rebuild of a 1,000,000-row table: `dbinit repair` next to the hand-written
12-step SQL run by the `sqlite3` shell, on identical copies of one database.

    python benchmarks/rebuild_1m.py [--rows N] [--repeat K]

Prints one line per tool (median and min–max of K runs, seconds).
"""

from __future__ import annotations

import argparse
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

LIVE = """
CREATE TABLE events (id INTEGER PRIMARY KEY, kind TEXT NOT NULL, amount INTEGER, note TEXT);
CREATE INDEX events_kind ON events (kind);
CREATE INDEX events_amount ON events (amount);
"""
DESIRED = """
CREATE TABLE events (id INTEGER PRIMARY KEY, kind TEXT NOT NULL, amount REAL, note TEXT);
CREATE INDEX events_kind ON events (kind);
CREATE INDEX events_amount ON events (amount);
"""
HAND_WRITTEN = """
PRAGMA foreign_keys = OFF;
BEGIN IMMEDIATE;
CREATE TABLE new_events (id INTEGER PRIMARY KEY, kind TEXT NOT NULL, amount REAL, note TEXT);
INSERT INTO new_events (id, kind, amount, note) SELECT id, kind, amount, note FROM events;
DROP TABLE events;
ALTER TABLE new_events RENAME TO events;
CREATE INDEX events_kind ON events (kind);
CREATE INDEX events_amount ON events (amount);
PRAGMA foreign_key_check;
COMMIT;
"""


def build(path: Path, rows: int) -> None:
    conn = sqlite3.connect(path)
    conn.executescript(LIVE)
    conn.execute(
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?) "
        "INSERT INTO events (id, kind, amount, note) "
        "SELECT i, 'kind-' || (i % 50), i * 7 % 100000, printf('note %d', i) FROM n",
        (rows,),
    )
    conn.commit()
    conn.close()


def timed(cmd: list[str], cwd: Path, stdin: str | None = None) -> float:
    t0 = time.perf_counter()
    subprocess.run(cmd, cwd=cwd, input=stdin, text=True, check=True, capture_output=True)
    return time.perf_counter() - t0


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    dbinit = str(Path(sys.executable).parent / "dbinit")
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        (work / "schemas").mkdir()
        (work / "schemas" / "001.sql").write_text(DESIRED)
        source = work / "source.db"
        build(source, args.rows)
        results: dict[str, list[float]] = {"dbinit repair": [], "sqlite3 shell (12-step)": []}
        for _ in range(args.repeat):
            for name in results:
                db = work / "run.db"
                shutil.copy(source, db)
                if name == "dbinit repair":
                    cmd = [dbinit, "repair", "--yes", "--no-backup", "-q", "-d", str(db)]
                    results[name].append(timed(cmd, work))
                else:
                    results[name].append(timed(["sqlite3", str(db)], work, HAND_WRITTEN))
                db.unlink()
        print(f"rebuild of a {args.rows:,}-row table with 2 indexes (type change), {args.repeat} runs:")
        for name, times in results.items():
            print(
                f"  {name:26s} median {statistics.median(times):.3f} s"
                f"  (min {min(times):.3f}, max {max(times):.3f})"
            )


if __name__ == "__main__":
    main()
