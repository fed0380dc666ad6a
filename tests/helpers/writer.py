"""A live application's writer: small committed transactions, as fast as it can.

Usage: python writer.py DATABASE STOP_FILE OUT_JSON MAX_ROWS MAX_SECONDS

WAL mode and `busy_timeout = 5000` as a production app would set them. Each
iteration is `BEGIN IMMEDIATE; INSERT INTO app_events …; COMMIT`; an id is
recorded only once its COMMIT has returned. The stall of an iteration is the
time from BEGIN to COMMIT's return. Prints `ready` after the first commit;
stops when STOP_FILE exists, after MAX_ROWS commits or MAX_SECONDS, or after
the first error (which it records: a live app would have failed there). Writes
{"ids", "commit_times", "stalls", "errors", "max_stall_s", "max_stall_at"} to
OUT_JSON (times are unix seconds).
"""

from __future__ import annotations

import json
import os
import sqlite3
import sys
import time


def main() -> int:
    database, stop_file, out = sys.argv[1], sys.argv[2], sys.argv[3]
    max_rows, max_seconds = int(sys.argv[4]), float(sys.argv[5])
    conn = sqlite3.connect(database, isolation_level=None)
    conn.execute("PRAGMA busy_timeout = 5000")
    conn.execute("PRAGMA journal_mode = WAL")
    ids: list[int] = []
    commit_times: list[float] = []
    stalls: list[float] = []
    errors: list[str] = []
    max_stall, max_stall_at = 0.0, 0.0
    end = time.monotonic() + max_seconds
    n = 0
    while len(ids) < max_rows and time.monotonic() < end and not os.path.exists(stop_file):
        n += 1
        t0 = time.monotonic()
        try:
            conn.execute("BEGIN IMMEDIATE")
            cur = conn.execute(
                "INSERT INTO app_events (kind, payload) VALUES (?, ?)", ("tick", f"event {n}")
            )
            rowid = cur.lastrowid
            conn.execute("COMMIT")
        except sqlite3.Error as exc:
            errors.append(f"{type(exc).__name__}: {exc} (iteration {n})")
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            break
        stall = time.monotonic() - t0
        now = time.time()
        assert rowid is not None
        ids.append(rowid)
        commit_times.append(now)
        stalls.append(stall)
        if stall > max_stall:
            max_stall, max_stall_at = stall, now
        if len(ids) == 1:
            print("ready", flush=True)
    conn.close()
    with open(out, "w", encoding="utf-8") as fh:
        json.dump(
            {
                "ids": ids,
                "commit_times": commit_times,
                "stalls": stalls,
                "errors": errors,
                "max_stall_s": max_stall,
                "max_stall_at": max_stall_at,
            },
            fh,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
