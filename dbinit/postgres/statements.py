"""One SQL statement per protocol message.

Every statement dbinit sends from a schema file or a plan goes through `execute`:
psycopg's extended query protocol (Parse/Bind/Execute), where the server refuses
a string that holds two statements ("cannot insert multiple commands into a
prepared statement"). The simple query protocol, which runs every statement of
a string, is never used for such text, so one statement can never become two.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import psycopg


def execute(
    conn: psycopg.Connection[Any], statement: str, params: Sequence[Any] | None = None
) -> psycopg.Cursor[Any]:
    """Run one statement through the extended protocol (unnamed, never prepared)."""
    # binary=True makes psycopg use PQsendQueryParams even without parameters.
    return conn.execute(statement, params, prepare=False, binary=True)
