"""An application holding a write transaction: the lock `dbinit` has to wait for.

Usage: python hold_lock.py DATABASE HOLD_SECONDS

Takes `BEGIN IMMEDIATE`, inserts one row into `app_events` (so the lock guards
real uncommitted work), prints `locked <unix time>`, then keeps the
transaction open for HOLD_SECONDS or until its stdin is closed, whichever comes
first; commits and prints `released <unix time>`.
"""

from __future__ import annotations

import select
import sqlite3
import sys
import time


def main() -> int:
    database, hold = sys.argv[1], float(sys.argv[2])
    conn = sqlite3.connect(database, isolation_level=None)
    conn.execute("PRAGMA busy_timeout = 5000")
    conn.execute("BEGIN IMMEDIATE")
    conn.execute("INSERT INTO app_events (payload) VALUES ('written while holding the lock')")
    print("locked", time.time(), flush=True)
    deadline = time.monotonic() + hold
    while (left := deadline - time.monotonic()) > 0:
        ready, _, _ = select.select([sys.stdin], [], [], left)
        if ready and not sys.stdin.buffer.read1(4096):
            break  # stdin closed: the test says let go
    conn.execute("COMMIT")
    print("released", time.time(), flush=True)
    conn.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
