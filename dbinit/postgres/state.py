"""The remembered desired state on PostgreSQL (postgres.md "The desired state is
remembered"): dbinit's table `_dbinit_state` in the managed schema, one row per
key (see `dbinit.remember`), readable by every role (`GRANT SELECT … TO
PUBLIC`: it holds the schema's definitions, which the catalogs show every role
anyway).

`lookup` is one query on the target; a missing table or row, a role that may
not read it, or a stored model that does not load is a miss, never an error.
`store` runs in a transaction of its own: it locks the table against a trigger
or rule being created meanwhile, and does not record (a warning) when one
exists: nothing on dbinit's table ever runs inside dbinit's transaction.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import psycopg
from psycopg import sql

from dbinit import remember
from dbinit.logs import log
from dbinit.postgres import model as model_module
from dbinit.postgres.model import Schema

STATE_TABLE = remember.STATE_TABLE
_CLASSES = remember.registry(model_module)

Conn = psycopg.Connection[Any]


def key(checksum: str, server_version: int, pg_schema: str) -> str:
    """The files' checksum, the server's major version (it prints definitions)
    and the managed schema (names are read relative to it)."""
    return remember.state_key(
        checksum, "postgresql", str(server_version // 10000), {"pg_schema": pg_schema}
    )


def lookup(conn: Conn, pg_schema: str, state_key: str) -> Schema | None:
    """The model stored under `state_key`, if any (one query)."""
    query = sql.SQL("SELECT digest, model FROM {} WHERE key = %s").format(
        sql.Identifier(pg_schema, STATE_TABLE)
    )
    try:
        with conn.transaction():
            row = conn.execute(query, (state_key,)).fetchone()
    except (
        psycopg.errors.UndefinedTable,
        psycopg.errors.InsufficientPrivilege,
        psycopg.errors.InvalidSchemaName,
        psycopg.errors.UndefinedColumn,
    ):
        return None
    if row is None:
        return None
    value = remember.loads(row[1], row[0], _CLASSES, Schema)
    return value if isinstance(value, Schema) else None


def store(conn: Conn, pg_schema: str, state_key: str, schema: Schema) -> bool:
    """Record the model under `state_key` unless it is there; True when it is
    there afterwards. Runs in its own transaction on `conn`."""
    from dbinit import __version__

    table = sql.Identifier(pg_schema, STATE_TABLE)
    text = remember.dumps(schema)
    try:
        with conn.transaction():
            exists = conn.execute(
                "SELECT to_regclass(%s) IS NOT NULL",
                (sql.Identifier(pg_schema, STATE_TABLE).as_string(conn),),
            ).fetchone()
            if not (exists and exists[0]):
                conn.execute(
                    sql.SQL(
                        "CREATE TABLE {} (key text PRIMARY KEY, recorded_at timestamptz NOT NULL,"
                        " dbinit_version text NOT NULL, digest text NOT NULL, model text NOT NULL)"
                    ).format(table)
                )
                conn.execute(sql.SQL("GRANT SELECT ON {} TO PUBLIC").format(table))
            conn.execute(sql.SQL("LOCK TABLE {} IN SHARE ROW EXCLUSIVE MODE").format(table))
            blocker = conn.execute(
                "SELECT 'trigger ' || tgname FROM pg_trigger WHERE tgrelid = %s::regclass"
                " UNION ALL SELECT 'rule ' || rulename FROM pg_rewrite"
                " WHERE ev_class = %s::regclass LIMIT 1",
                (table.as_string(conn), table.as_string(conn)),
            ).fetchone()
            if blocker is not None:
                log.warning(
                    "desired.not_remembered",
                    reason=f"{blocker[0]} is on dbinit's table {STATE_TABLE}",
                )
                return False
            conn.execute(
                sql.SQL(
                    "INSERT INTO {} (key, recorded_at, dbinit_version, digest, model)"
                    " VALUES (%s, %s, %s, %s, %s) ON CONFLICT (key) DO NOTHING"
                ).format(table),
                (state_key, datetime.now(UTC), __version__, remember.seal(text), text),
            )
            conn.execute(
                sql.SQL(
                    "DELETE FROM {t} WHERE key NOT IN"
                    " (SELECT key FROM {t} ORDER BY recorded_at DESC LIMIT %s)"
                ).format(t=table),
                (remember.KEEP,),
            )
    except psycopg.Error as exc:  # no privilege, a lock not granted, a table not ours
        log.info("desired.not_remembered", reason=f"{type(exc).__name__}: {exc}".strip()[:300])
        return False
    log.info("desired.remembered", key=state_key[:12])
    return True
