"""An application that dies in the middle of a write: the hot journal it leaves.

Usage: python crash_writer.py DATABASE

With a two-page cache (so changed pages spill into the database file before
COMMIT), takes `BEGIN IMMEDIATE`, rewrites every row of `items`, prints
`ready`, and sleeps until it is killed. The test SIGKILLs it: the file then
holds half-written pages and `DATABASE-journal` the originals (a hot journal).
"""

from __future__ import annotations

import sqlite3
import sys
import time


def main() -> int:
    conn = sqlite3.connect(sys.argv[1], isolation_level=None)
    conn.execute("PRAGMA cache_size = 2")
    conn.execute("BEGIN IMMEDIATE")
    conn.execute("UPDATE items SET note = note || ' (never committed)'")
    print("ready", flush=True)
    while True:  # until SIGKILL: the kill always lands inside the transaction
        time.sleep(3600)


if __name__ == "__main__":
    sys.exit(main())
