"""A live application's readers: read transactions held back to back.

Usage: python readers.py DATABASE STOP_FILE OUT_JSON HOLD_S THREADS BUSY_MS

THREADS threads, each with its own connection and `busy_timeout = BUSY_MS`,
loop: `BEGIN; SELECT count(*) FROM app_events` (the read lock is taken here),
keep the transaction open HOLD_S seconds (or until STOP_FILE exists), `COMMIT`. Thread k starts k/THREADS
of a hold later, so some read lock is held at every moment. The stall of a
read is the time its first SELECT took (waiting for a writer's lock). Prints
`ready` once every thread holds its first read transaction; stops when STOP_FILE exists or after
the first error (which it records: a live app would have failed there).
Writes {"reads", "errors", "max_stall_s", "max_stall_at", "stalls",
"read_times"} to OUT_JSON (times are unix seconds).
"""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
import sys
import threading
import time


def main() -> int:
    database, stop_file, out = sys.argv[1], sys.argv[2], sys.argv[3]
    hold, threads, busy_ms = float(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6])
    lock = threading.Lock()
    stalls: list[float] = []
    read_times: list[float] = []
    errors: list[str] = []
    started = threading.Barrier(threads + 1)

    def reader(k: int) -> None:
        conn = sqlite3.connect(database, isolation_level=None, check_same_thread=False)
        conn.execute(f"PRAGMA busy_timeout = {busy_ms}")
        time.sleep(hold * k / threads)
        first = True
        while not errors and not os.path.exists(stop_file):
            t0 = time.monotonic()
            try:
                conn.execute("BEGIN")
                conn.execute("SELECT count(*) FROM app_events").fetchone()
                stall = time.monotonic() - t0
                if first:  # this thread holds its read lock: the app is running
                    first = False
                    with contextlib.suppress(threading.BrokenBarrierError):
                        started.wait()
                end = time.monotonic() + hold
                while (left := end - time.monotonic()) > 0 and not os.path.exists(stop_file):
                    time.sleep(min(left, 0.01))
                conn.execute("COMMIT")
            except sqlite3.Error as exc:
                with lock:
                    errors.append(f"{type(exc).__name__}: {exc} at {time.time():.3f}")
                started.abort()
                break
            with lock:
                stalls.append(stall)
                read_times.append(time.time())
        conn.close()

    workers = [threading.Thread(target=reader, args=(k,)) for k in range(threads)]
    for w in workers:
        w.start()
    with contextlib.suppress(threading.BrokenBarrierError):
        started.wait()
    print("ready" if not errors else f"failed {errors}", flush=True)
    for w in workers:
        w.join()
    worst = max(range(len(stalls)), key=stalls.__getitem__, default=None)
    with open(out, "w", encoding="utf-8") as fh:
        json.dump(
            {
                "reads": len(stalls),
                "errors": errors,
                "max_stall_s": stalls[worst] if worst is not None else 0.0,
                "max_stall_at": read_times[worst] if worst is not None else None,
                "stalls": stalls,
                "read_times": read_times,
            },
            fh,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
