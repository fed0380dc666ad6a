"""The desired state: the schema files executed by PostgreSQL in a scratch space
the target never sees, then read back by the same introspector as the target.

Scratch space, one of:

* a throw-away database on the target's server (the default):
  `CREATE DATABASE dbinit_scratch_<pid>_<random> TEMPLATE template0` with the
  target's encoding and locale, where `<pid>` is the server process id of the
  run's maintenance connection, which stays open until the run has dropped the
  database (`DROP DATABASE … WITH (FORCE)` at the end, success or not);
* a user-given disposable database (`dev_url`, like Atlas's dev database): the
  files run in one transaction that is always rolled back, so nothing stays
  even when the run is killed (the server aborts the transaction of a lost
  session). Its managed schema must hold no objects. Being one transaction, it
  holds every lock the files take until the end: a very large schema there needs
  a larger `max_locks_per_transaction` (69 naming it, never a file error).

Clean-up rule for runs killed at any moment (`cleanup_scratch`, run before
each new throw-away database): a database named `dbinit_scratch_<pid>_…` is
abandoned when no server process `<pid>` exists any more (its creator's
maintenance session has ended) and no session is connected to it. Such
databases are dropped, without FORCE, so a database another session entered
meanwhile is kept. (The scratch session sets `client_connection_check_interval`,
PostgreSQL 14+, so a backend busy in a long statement when its client dies
ends within a second; on 13 it ends with the statement or `statement_timeout`,
the time limit.) A live run's scratch is never dropped: its `<pid>` is alive
from before `CREATE DATABASE` until after `DROP DATABASE`. A recycled pid only
delays the clean-up to a later run.

File errors are `SchemaError` (65) naming `file:line`: the line of
PostgreSQL's error position in the statement, else of the statement's start.
The files run statement by statement (`sqlsplit` splits and vets them with
PostgreSQL's grammar), each alone through the extended query protocol
(`statements.execute`), with `search_path` set to the managed schema and
`check_function_bodies = off`. In the throw-away database they run in implicit
transactions of `BATCH` statements (it is dropped anyway), so any schema the
target holds fits the default `max_locks_per_transaction`; a batch that fails
is rolled back whole and re-run one statement at a time, the same texts, to
name the failing one. A name qualified with another schema is a file error,
and objects that still end up in another schema are caught after the last
statement. The time limit reached is `TimeLimit` (75), a character the
database's encoding cannot hold a file error at its line.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, replace
from typing import Any

import psycopg
from psycopg import sql

from dbinit.dialect import hint_for_postgresql
from dbinit.errors import (
    ConfigError,
    ConnectionFailed,
    DbInitError,
    PermissionDenied,
    SchemaError,
    TimeLimit,
    mask_url,
)
from dbinit.logs import log
from dbinit.postgres.connect import connect, map_error, sqlstate, use_search_path
from dbinit.postgres.introspect import introspect
from dbinit.postgres.model import INTERNAL_PREFIX, Schema, SourceLoc, Table
from dbinit.postgres.reprint import round_trip
from dbinit.postgres.sqlsplit import Head, Statement, for_scratch, head, split
from dbinit.postgres.statements import execute

SCRATCH_PREFIX = "dbinit_scratch_"


@dataclass(frozen=True, slots=True)
class Desired:
    schema: Schema
    statements: tuple[Statement, ...]
    scratch: str  # where the files ran: "database dbinit_scratch_…" or "dev database …"


def parse_files(files: Sequence[tuple[str, str]], schema: str) -> list[tuple[Statement, Head]]:
    """Split the files and check each statement's head (no server needed):
    allowed statement kinds, no other schema, no `_dbinit_` name, no CONCURRENTLY."""
    out: list[tuple[Statement, Head]] = []
    for path, text in files:
        for st in split(path, text):
            h = head(st)
            if h.qualifier is not None and h.qualifier != schema:
                raise SchemaError(
                    f"{st.loc}: {h.qualifier}.{h.name} is outside the managed schema "
                    f"{schema!r}; qualify names with {schema!r} or leave them unqualified"
                )
            if h.name is not None and h.name.startswith(INTERNAL_PREFIX):
                raise SchemaError(f"{st.loc}: the name {h.name!r} is reserved for dbinit")
            out.append((for_scratch(st, h), h))
    _check_hints(out)
    return out


def _check_hints(parsed: Sequence[tuple[Statement, Head]]) -> None:
    """One old name renames one object: a second table (or a second column of one
    table) renamed from the same name is a file error at the second hint."""
    tables: dict[str, tuple[str, str]] = {}
    for st, h in parsed:
        if h.kind != "table" or h.name is None:
            continue
        if st.renamed_from is not None:
            _once(tables, st.renamed_from, h.name, st.loc, "a table")
        columns: dict[str, tuple[str, str]] = {}
        for column, old, line in st.column_hints:
            _once(columns, old, column, f"{st.file}:{line}", f"a column of {h.name}")


def _once(seen: dict[str, tuple[str, str]], old: str, new: str, loc: str, what: str) -> None:
    if old in seen:
        first, first_loc = seen[old]
        raise SchemaError(
            f"{loc}: {new} and {first} are both renamed from {old} (first at {first_loc}); "
            f"{what} can be renamed only once"
        )
    seen[old] = (new, loc)


def build_desired(
    url: str,
    files: Sequence[tuple[str, str]],
    *,
    schema: str = "public",
    dev_url: str | None = None,
    deadline: float | None = None,
    attempts: int = 3,
    delay: float = 1.0,
) -> Desired:
    """Run `files` ((path, SQL text) pairs, in order) in a scratch space and read
    the result with `introspect`. `url` is the target; only its server is used
    (for the throw-away database), never its database's contents. With
    `dev_url`, that database is the scratch space instead."""
    parsed = parse_files(files, schema)
    statements = tuple(st for st, _ in parsed)
    if dev_url is not None:
        conn = connect(dev_url, attempts=attempts, delay=delay, deadline=deadline, schema=schema)
        with conn:
            _require_empty(conn, schema, dev_url)
            model = _run(conn, parsed, schema, deadline, drop_public=False, throwaway=False)
        return Desired(model, statements, f"dev database {mask_url(dev_url)}")
    with scratch_database(url, attempts=attempts, delay=delay, deadline=deadline) as name:
        conn = connect(
            url, dbname=name, attempts=attempts, delay=delay, deadline=deadline, schema=schema
        )
        with conn:
            # `public` is kept: an extension the files install there (`CREATE
            # EXTENSION … WITH SCHEMA public`, as pg_dump writes it) needs it.
            model = _run(conn, parsed, schema, deadline, drop_public=False, throwaway=True)
        return Desired(model, statements, f"database {name}")


@contextmanager
def scratch_database(
    url: str, *, attempts: int = 3, delay: float = 1.0, deadline: float | None = None
) -> Iterator[str]:
    """Create a throw-away database on `url`'s server, yield its name, drop it.

    Abandoned scratch databases of earlier runs are dropped first. A role that
    may not create databases is a `ConfigError` naming both ways out.
    """
    admin = connect(url, attempts=attempts, delay=delay, deadline=deadline)
    with admin:
        cleanup_scratch(admin)
        row = admin.execute(
            "SELECT r.rolname, r.rolcreatedb OR r.rolsuper, pg_encoding_to_char(d.encoding),"
            " d.datcollate, d.datctype FROM pg_roles r, pg_database d"
            " WHERE r.rolname = current_user AND d.datname = current_database()"
        ).fetchone()
        if row is None:  # pragma: no cover - the session's role and database exist
            raise ConfigError("Cannot read the current role and database")
        role, may_create, encoding, collate, ctype = row
        if not may_create:
            raise _no_createdb(role)
        name = f"{SCRATCH_PREFIX}{admin.info.backend_pid}_{secrets.token_hex(6)}"
        create = sql.SQL("CREATE DATABASE {} TEMPLATE template0").format(sql.Identifier(name))
        locale = sql.SQL(" ENCODING {} LC_COLLATE {} LC_CTYPE {}").format(
            sql.Literal(encoding), sql.Literal(collate), sql.Literal(ctype)
        )
        try:
            try:
                admin.execute(create + locale)
            except psycopg.errors.InvalidParameterValue:
                admin.execute(create)  # a locale template0 cannot take: the server's default
        except psycopg.errors.InsufficientPrivilege:
            raise _no_createdb(role) from None
        except psycopg.Error as exc:
            raise map_error(exc, url=url, during="creating the scratch database") from None
        log.debug("scratch.created", database=name)
        try:
            yield name
        finally:
            _drop(admin, name)


def _drop(admin: psycopg.Connection[Any], name: str) -> None:
    try:
        admin.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )
        log.debug("scratch.dropped", database=name)
    except psycopg.Error as exc:  # the next run cleans it up
        log.warning("scratch.drop_failed", database=name, error=str(exc).strip())


def _no_createdb(role: str) -> ConfigError:
    return ConfigError(
        f"Role {role!r} may not create databases, and dbinit needs a scratch space to "
        "run the schema files in: grant it (ALTER ROLE … CREATEDB) or set DBINIT_DEV_URL "
        "(--dev-url) to a disposable database"
    )


def cleanup_scratch(admin: psycopg.Connection[Any]) -> list[str]:
    """Drop the scratch databases of runs that are gone (rule in the module doc);
    returns their names. Failures (another role's database, a session that just
    connected) are skipped: a later run tries again."""
    rows = admin.execute(
        "SELECT d.datname FROM pg_database d WHERE d.datname LIKE %s"
        " AND NOT EXISTS (SELECT 1 FROM pg_stat_activity a WHERE a.datname = d.datname)",
        (SCRATCH_PREFIX.replace("_", r"\_") + "%",),
    ).fetchall()
    alive = {int(r[0]) for r in admin.execute("SELECT pid FROM pg_stat_activity").fetchall()}
    dropped: list[str] = []
    for (name,) in rows:
        pid = _creator_pid(name)
        if pid is None or pid in alive:
            continue
        try:
            admin.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(name)))
        except psycopg.Error as exc:
            log.debug("scratch.cleanup_skipped", database=name, error=str(exc).strip())
            continue
        dropped.append(name)
        log.info("scratch.cleaned_up", database=name)
    return dropped


def _creator_pid(name: str) -> int | None:
    parts = name[len(SCRATCH_PREFIX) :].split("_")
    if len(parts) != 2 or not parts[0].isdigit():
        return None
    return int(parts[0])


def _require_empty(conn: psycopg.Connection[Any], schema: str, url: str) -> None:
    row = conn.execute(
        "SELECT (SELECT count(*) FROM pg_class WHERE relnamespace = n.oid)"
        " + (SELECT count(*) FROM pg_proc WHERE pronamespace = n.oid)"
        " + (SELECT count(*) FROM pg_type WHERE typnamespace = n.oid)"
        " FROM pg_namespace n WHERE n.nspname = %s",
        (schema,),
    ).fetchone()
    if row is not None and row[0]:
        raise ConfigError(
            f"The dev database {mask_url(url)} is not empty: schema {schema!r} holds "
            f"{row[0]} objects; point DBINIT_DEV_URL at a disposable, empty database"
        )


# Statements per implicit transaction in the throw-away database: few enough
# that their locks fit the server's lock table with the default
# max_locks_per_transaction (64 per connection slot, shared), whatever the size of
# the schema.
BATCH = 100


def _run(
    conn: psycopg.Connection[Any],
    parsed: Sequence[tuple[Statement, Head]],
    schema: str,
    deadline: float | None,
    *,
    drop_public: bool,
    throwaway: bool,
) -> Schema:
    if conn.info.server_version >= 140000:
        # A backend whose client was killed mid-statement notices within a second
        # and ends, so the run's scratch database can be cleaned up.
        conn.execute("SET client_connection_check_interval = '1s'")
    # As pg_dump's preamble does: a function may name a table created later.
    conn.execute("SET check_function_bodies = off")
    _check_encoding(conn, parsed)
    if throwaway:
        return _run_batched(conn, parsed, schema, deadline, drop_public=drop_public)
    try:
        # Fast path: every statement sent in one pipeline, no round trip each.
        return _run_once(conn, parsed, schema, deadline, drop_public=drop_public, fast=True)
    except _PipelineFailed:
        # A statement failed: run them one by one to say which, with its file:line.
        return _run_once(conn, parsed, schema, deadline, drop_public=drop_public, fast=False)


def _check_encoding(
    conn: psycopg.Connection[Any], parsed: Sequence[tuple[Statement, Head]]
) -> None:
    """A character the database's encoding cannot hold is a file error at its
    line, before anything runs (whatever the session's client_encoding)."""
    from psycopg._encodings import pg2pyenc

    server = conn.info.parameter_status("server_encoding") or "UTF8"
    if server in ("UTF8", "SQL_ASCII"):
        return
    try:
        codec = pg2pyenc(server.encode())
    except psycopg.NotSupportedError:  # pragma: no cover - an encoding Python lacks
        return
    for st, _ in parsed:
        try:
            st.scratch_sql.encode(codec)
        except UnicodeEncodeError as exc:
            char = st.scratch_sql[exc.start]
            raise SchemaError(
                f"{st.file}:{st.line_at(exc.start + 1)}: the character {char!r} cannot be "
                f"stored in the database's encoding {server}"
            ) from None


class _PipelineFailed(Exception):
    """A statement of the pipeline failed; which one is not known yet."""


def _prepare(conn: psycopg.Connection[Any], schema: str, *, drop_public: bool, local: bool) -> None:
    ident = sql.Identifier(schema)
    conn.execute(sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(ident))
    if drop_public:  # so that `public.x` fails with a position; only where we own it
        with suppress(psycopg.Error), conn.transaction():
            conn.execute("DROP SCHEMA IF EXISTS public")
    # The managed schema, then `public`, where extension types usually live (as
    # the session pins for reads do): `citext` resolves unqualified.
    use_search_path(conn, schema, local=local)


def _extension_homes(
    conn: psycopg.Connection[Any], parsed: Sequence[tuple[Statement, Head]]
) -> None:
    """The schemas the files install extensions in (`CREATE EXTENSION … SCHEMA
    ext`, as pg_dump writes it): made in the scratch space, as the plan makes
    them in the target (`CREATE SCHEMA IF NOT EXISTS`)."""
    for st, _ in parsed:
        if st.node != "CreateExtensionStmt":
            continue
        for option in st.tree.get("options", ()):
            item = option.get("DefElem", {})
            if item.get("defname") == "schema":
                home = str(item.get("arg", {}).get("String", {}).get("sval", ""))
                if home:
                    conn.execute(
                        sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(sql.Identifier(home))
                    )


def _run_batched(
    conn: psycopg.Connection[Any],
    parsed: Sequence[tuple[Statement, Head]],
    schema: str,
    deadline: float | None,
    *,
    drop_public: bool,
) -> Schema:
    """The throw-away database: it is dropped at the end, so the files need not
    run in one transaction. Each batch of `BATCH` statements is one pipeline and
    one implicit transaction (ended by its Sync), so the locks they take are
    released batch by batch; a batch that fails was rolled back whole and runs
    again statement by statement (the very same statement texts) to say which
    statement failed."""
    _prepare(conn, schema, drop_public=drop_public, local=False)
    _extension_homes(conn, parsed)
    statements = [st for st, _ in parsed]
    for at in range(0, len(statements), BATCH):
        batch = statements[at : at + BATCH]
        _time_limit(conn, batch[0], deadline, local=False)
        try:
            with conn.pipeline():
                for st in batch:
                    execute(conn, st.scratch_sql)
        except psycopg.Error as exc:
            if sqlstate(exc) == "57014":
                raise _time_limit_error(batch[0]) from None
            if conn.broken or conn.closed:  # the connection is gone: no statement to blame
                raise map_error(exc, during="running the schema files") from None
            for st in batch:
                _time_limit(conn, st, deadline, local=False)
                try:
                    execute(conn, st.scratch_sql)
                except psycopg.Error as exc2:
                    raise _file_error(exc2, st) from None
            raise map_error(exc, during="running the schema files") from None
    with conn.transaction():
        _check_other_schemas(conn, schema, parsed, ours=_ALL_OURS)
        model = introspect(conn, schema)
    model = round_trip(conn, model)
    return _with_locations(model, parsed)


def _run_once(
    conn: psycopg.Connection[Any],
    parsed: Sequence[tuple[Statement, Head]],
    schema: str,
    deadline: float | None,
    *,
    drop_public: bool,
    fast: bool,
) -> Schema:
    """The dev database: one transaction, always rolled back."""
    with conn.transaction(force_rollback=True):
        _prepare(conn, schema, drop_public=drop_public, local=True)
        _extension_homes(conn, parsed)
        if fast:
            _time_limit(conn, parsed[0][0] if parsed else None, deadline)
            try:
                with conn.pipeline():
                    for st, _ in parsed:
                        execute(conn, st.scratch_sql)
            except psycopg.Error as exc:
                if sqlstate(exc) == "57014":
                    raise _time_limit_error(parsed[0][0] if parsed else None) from None
                raise _PipelineFailed from None
        else:
            for st, _ in parsed:
                _time_limit(conn, st, deadline)
                try:
                    execute(conn, st.scratch_sql)
                except psycopg.Error as exc:
                    raise _file_error(exc, st) from None
        _check_other_schemas(conn, schema, parsed, ours=_THIS_TRANSACTION)
        model = round_trip(conn, introspect(conn, schema))
    return _with_locations(model, parsed)


def _time_limit(
    conn: psycopg.Connection[Any],
    st: Statement | None,
    deadline: float | None,
    *,
    local: bool = True,
) -> None:
    """What is left of the overall time limit bounds the statements that follow."""
    if deadline is None:
        return
    left = int((deadline - time.monotonic()) * 1000)
    if left <= 0:
        raise _time_limit_error(st)
    scope = "LOCAL " if local else ""
    conn.execute(sql.SQL("SET " + scope + "statement_timeout = {}").format(left))


def _time_limit_error(st: Statement | None) -> TimeLimit:
    where = f" (at {st.loc})" if st is not None else ""
    return TimeLimit(
        f"Running the schema files in the scratch space did not finish within the time "
        f"limit{where}; raise --timeout (DBINIT_INITIALIZATION_TIMEOUT)"
    )


def _file_error(exc: psycopg.Error, st: Statement) -> DbInitError:
    state = sqlstate(exc) or ""
    if not state or state.startswith(("08", "57P")):
        return map_error(exc, during="running the schema files")
    if state == "57014":
        return _time_limit_error(st)
    diag = exc.diag
    text = (diag.message_primary or str(exc)).strip()
    if state == "53200":  # out of shared memory: a server limit, never the file's fault
        return ConnectionFailed(
            f"The server ran out of shared memory running the schema files ({text}); "
            "raise max_locks_per_transaction on the server or set DBINIT_DEV_URL",
            details=f"psycopg.errors.{type(exc).__name__} [{state}]: {text}",
        )
    position = int(diag.statement_position or 0)
    loc = f"{st.file}:{st.line_at(position)}"
    if diag.message_hint:
        text += f" (hint: {diag.message_hint.strip()})"
    details = f"psycopg.errors.{type(exc).__name__} [{state}]: {text}"
    if state == "42501":
        return PermissionDenied(f"{loc}: {text}", details=details)
    return SchemaError(f"{loc}: {text}{hint_for_postgresql(st.sql)}", details=details)


_FOREIGN = """
SELECT n.nspname, c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE {ours_c} AND n.nspname <> %(schema)s AND n.nspname NOT LIKE 'pg\\_toast%%'
  AND NOT {member_c}
UNION ALL
SELECT n.nspname, t.typname FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
WHERE {ours_t} AND n.nspname <> %(schema)s AND n.nspname NOT LIKE 'pg\\_toast%%' AND t.typrelid = 0
  AND NOT {member_t}
UNION ALL
SELECT n.nspname, p.proname FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
WHERE {ours_p} AND n.nspname <> %(schema)s AND NOT {member_p}
"""
# An object that belongs to an extension (deptype e), wherever the extension put it.
_MEMBER = (
    "EXISTS (SELECT 1 FROM pg_depend e WHERE e.classid = '{cat}'::regclass"
    " AND e.objid = {alias}.oid AND e.deptype = 'e')"
)
# Objects the files created: in the dev database's transaction, those it wrote;
# in the throw-away database (made from template0), every object that is not built in.
_THIS_TRANSACTION = "{alias}.xmin::text::bigint = pg_current_xact_id()::text::bigint %% 4294967296"
_ALL_OURS = "{alias}.oid >= 16384"


def _check_other_schemas(
    conn: psycopg.Connection[Any],
    schema: str,
    parsed: Sequence[tuple[Statement, Head]],
    *,
    ours: str,
) -> None:
    """Objects the files created outside the managed schema: a file error
    at the statement that names the object (else the first one naming its schema)."""
    query = _FOREIGN
    for alias, cat in (("c", "pg_class"), ("t", "pg_type"), ("p", "pg_proc")):
        query = query.replace(f"{{ours_{alias}}}", ours.replace("{alias}", alias))
        member = _MEMBER.replace("{cat}", cat).replace("{alias}", alias)
        if alias == "t":  # an extension type's array type is the extension's too
            member = f"({member} OR {member.replace('t.oid', 't.typelem')})"
        query = query.replace(f"{{member_{alias}}}", member)
    row = conn.execute(query, {"schema": schema}).fetchone()
    if row is None:
        return
    other, name = row
    st = next((s for s, h in parsed if h.name == name), None)
    if st is None:
        st = next((s for s, _ in parsed if other.lower() in s.sql.lower()), parsed[0][0])
    raise SchemaError(
        f"{st.loc}: {other}.{name} is outside the managed schema {schema!r}; "
        f"qualify names with {schema!r} or leave them unqualified"
    )


def _with_locations(model: Schema, parsed: Sequence[tuple[Statement, Head]]) -> Schema:
    """Attach to each object the `file:line` of the statement that created it."""
    locs: dict[tuple[str, str], SourceLoc] = {}
    hints: dict[str, Statement] = {}  # table -> its CREATE TABLE statement, for rename hints
    pinned: dict[str, str] = {}  # extension -> the VERSION its CREATE EXTENSION names
    for st, h in parsed:
        if st.node == "CreateExtensionStmt" and h.name is not None:
            for option in st.tree.get("options", ()):
                item = option.get("DefElem", {})
                if item.get("defname") == "new_version":
                    pinned[h.name] = str(item.get("arg", {}).get("String", {}).get("sval", ""))
        if h.verb == "create" and h.kind is not None and h.name is not None:
            locs.setdefault((h.kind, h.name), SourceLoc(st.file, st.line))
            if h.kind == "table":
                hints.setdefault(h.name, st)

    def loc(kind: str, name: str) -> SourceLoc | None:
        return locs.get((kind, name))

    return replace(
        model,
        tables={
            k: _hinted(replace(v, loc=loc("table", k)), hints.get(k))
            for k, v in model.tables.items()
        },
        indexes={k: replace(v, loc=loc("index", k)) for k, v in model.indexes.items()},
        sequences={k: replace(v, loc=loc("sequence", k)) for k, v in model.sequences.items()},
        types={k: replace(v, loc=loc("type", k)) for k, v in model.types.items()},
        views={k: replace(v, loc=loc("view", k)) for k, v in model.views.items()},
        materialized_views={
            k: replace(v, loc=loc("materialized_view", k))
            for k, v in model.materialized_views.items()
        },
        functions={k: replace(v, loc=loc("function", v.name)) for k, v in model.functions.items()},
        triggers={k: replace(v, loc=loc("trigger", v.name)) for k, v in model.triggers.items()},
        extensions={
            k: replace(v, loc=loc("extension", k), pinned=pinned.get(k))
            for k, v in model.extensions.items()
            # one outside the managed schema is the files' only when they create it
            # (a dev database may hold others)
            if v.schema == model.schema or ("extension", k) in locs
        },
        collations={k: replace(v, loc=loc("collation", k)) for k, v in model.collations.items()},
        ts_dictionaries={
            k: replace(v, loc=loc("text_search_dictionary", k))
            for k, v in model.ts_dictionaries.items()
        },
        ts_configurations={
            k: replace(v, loc=loc("text_search_configuration", k))
            for k, v in model.ts_configurations.items()
        },
    )


def using_of(create_sql: str) -> dict[str, str]:
    """`-- dbinit: using=EXPR` hints by column name as PostgreSQL folds it."""
    from dbinit.hints import using_hints

    return {(n if quoted else n.lower()): e for (n, quoted), e in using_hints(create_sql).items()}


def _hinted(table: Table, st: Statement | None) -> Table:
    """`table` with the rename and conversion hints of the statement that created
    it, and each column's own `file:line`."""
    if st is None:
        return table
    old = {column: was for column, was, _ in st.column_hints}
    lines = dict(st.column_lines)
    using = using_of(st.sql)
    columns = tuple(
        replace(
            c,
            renamed_from=old.get(c.name),
            using=using.get(c.name),
            loc=SourceLoc(st.file, lines[c.name]) if c.name in lines else c.loc,
        )
        for c in table.columns
    )
    return replace(table, renamed_from=st.renamed_from, columns=columns)
