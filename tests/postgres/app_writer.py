"""An app writing to PostgreSQL in a loop, for the online-change tests.

    python app_writer.py URL TABLE STOP_FILE MAX_ROWS MAX_SECONDS

Inserts one row per short transaction (autocommit) into TABLE (columns
account_id, amount, note = 'app') until STOP_FILE exists, MAX_ROWS were
attempted or MAX_SECONDS passed. A failed insert is counted, never retried.
Prints one JSON document: attempted, ok, failed, the first errors, the longest
stall (the slowest insert, in ms) and when it started (ms after the start).
Writes "ready" to STOP_FILE + ".ready" after its first successful insert.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import psycopg
from psycopg import sql


def main(url: str, table: str, stop_file: str, max_rows: int, max_seconds: float) -> None:
    stop = Path(stop_file)
    ready = Path(stop_file + ".ready")
    attempted = ok = failed = 0
    errors: list[str] = []
    longest = 0.0
    longest_at = 0.0
    t0 = time.monotonic()
    insert = sql.SQL("INSERT INTO {} (account_id, amount, note) VALUES (%s, %s, 'app')").format(
        sql.Identifier("public", table)
    )
    with psycopg.connect(url, autocommit=True, application_name="app_writer") as conn:
        while attempted < max_rows and time.monotonic() - t0 < max_seconds and not stop.exists():
            attempted += 1
            t1 = time.monotonic()
            try:
                conn.execute(insert, (attempted % 10 + 1, attempted % 100))
                ok += 1
            except psycopg.Error as exc:
                failed += 1
                if len(errors) < 5:
                    errors.append(f"{type(exc).__name__}: {str(exc).strip()}")
                if conn.closed:
                    break
            took = time.monotonic() - t1
            if took > longest:
                longest, longest_at = took, t1 - t0
            if ok == 1 and not ready.exists():
                ready.write_text("ready")
            time.sleep(0.002)
    print(
        json.dumps(
            {
                "attempted": attempted,
                "ok": ok,
                "failed": failed,
                "errors": errors,
                "longest_stall_ms": round(longest * 1000, 3),
                "longest_stall_at_ms": round(longest_at * 1000, 3),
                "ran_ms": round((time.monotonic() - t0) * 1000, 3),
            }
        )
    )


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), float(sys.argv[5]))
