"""Count what dbinit sends to PostgreSQL: run the CLI in this process with
psycopg wrapped, and write the counts as JSON.

    python pg_count.py OUT.json check -d postgresql://…/live

Counted at the driver, per database connected to:

* `statements`: every `Cursor.execute` / `executemany` / `copy` (one round
  trip each; psycopg 3 does not pipeline unless asked);
* `transaction_control`: BEGIN, COMMIT, ROLLBACK, SAVEPOINT and the like that
  psycopg sends for `conn.transaction()` / `commit()` (one round trip each);
* `connections`: connections opened.

Databases are classed as `target` (the URL given), `scratch` (dbinit's
throw-away `dbinit_scratch_*` database, where the schema files run; the files'
own statements are counted apart as `file_statements`) and `maintenance` (the
server's maintenance database: CREATE / DROP DATABASE, the clean-up query).
"""

from __future__ import annotations

import json
import os
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import psycopg
from psycopg._connection_base import BaseConnection
from psycopg.conninfo import conninfo_to_dict

counts: Counter[str] = Counter()
TARGET = ""
TRACE = bool(os.environ.get("BENCH_TRACE"))


def _where(conn: Any) -> str:
    name = conn.info.dbname
    if name == TARGET:
        return "target"
    if name.startswith("dbinit_scratch_"):
        return "scratch"
    return "maintenance"


def _text(query: Any, conn: Any) -> str:
    if isinstance(query, bytes):
        return query.decode()
    if isinstance(query, str):
        return query
    try:
        return str(query.as_string(conn))
    except Exception:
        return ""


def _is_file_statement(text: str) -> bool:
    # The generated schema files create tables and indexes named t0000, t0001, …
    head = text.lstrip().upper()
    return head.startswith(("CREATE TABLE T0", "CREATE INDEX T0"))


# Statements on the target's connection that create, find or drop the scratch
# database rather than read the target's schema.
_SCRATCH_MANAGEMENT = ("pg_database", "pg_stat_activity", " DATABASE ")


def _count_statement(cursor: Any, query: Any) -> None:
    where = _where(cursor.connection)
    if TRACE:
        first = " ".join(_text(query, cursor.connection).split())[:100]
        print(f"{where}: {first}", file=sys.stderr)
    text = _text(query, cursor.connection)
    if where == "scratch" and _is_file_statement(text):
        counts["scratch.file_statements"] += 1
    elif where == "scratch" and text.startswith("SET LOCAL statement_timeout"):
        counts["scratch.per_statement_timeout"] += 1
    elif where == "target" and any(m in text for m in _SCRATCH_MANAGEMENT):
        counts["target.scratch_management"] += 1
    else:
        counts[f"{where}.statements"] += 1


def install() -> None:
    execute = psycopg.Cursor.execute
    executemany = psycopg.Cursor.executemany
    copy = psycopg.Cursor.copy
    exec_command = BaseConnection._exec_command
    connect = psycopg.Connection.connect.__func__  # type: ignore[attr-defined]

    def _execute(self: Any, query: Any, *args: Any, **kwargs: Any) -> Any:
        _count_statement(self, query)
        return execute(self, query, *args, **kwargs)

    def _executemany(self: Any, query: Any, *args: Any, **kwargs: Any) -> Any:
        _count_statement(self, query)
        return executemany(self, query, *args, **kwargs)

    def _copy(self: Any, statement: Any, *args: Any, **kwargs: Any) -> Any:
        _count_statement(self, statement)
        return copy(self, statement, *args, **kwargs)

    def _exec_command(self: Any, command: Any, *args: Any, **kwargs: Any) -> Any:
        counts[f"{_where(self)}.transaction_control"] += 1
        return exec_command(self, command, *args, **kwargs)

    def _connect(cls: Any, *args: Any, **kwargs: Any) -> Any:
        conn = connect(cls, *args, **kwargs)
        counts[f"{_where(conn)}.connections"] += 1
        return conn

    psycopg.Cursor.execute = _execute  # type: ignore[method-assign]
    psycopg.Cursor.executemany = _executemany  # type: ignore[method-assign]
    psycopg.Cursor.copy = _copy  # type: ignore[method-assign]
    BaseConnection._exec_command = _exec_command  # type: ignore[method-assign]
    psycopg.Connection.connect = classmethod(_connect)  # type: ignore[method-assign,assignment]
    psycopg.connect = psycopg.Connection.connect


def main() -> int:
    global TARGET
    out, args = Path(sys.argv[1]), sys.argv[2:]
    url = args[args.index("-d") + 1]
    TARGET = str(conninfo_to_dict(url).get("dbname") or "")
    install()
    from dbinit.cli import main as cli

    sys.argv = ["dbinit", *args]
    code = 0
    try:
        cli()
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 1
    out.write_text(json.dumps({"exit_code": code, **dict(sorted(counts.items()))}) + "\n")
    return code


if __name__ == "__main__":
    sys.exit(main())
