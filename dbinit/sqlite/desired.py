"""The desired model: schema files executed into a private `:memory:` database,
read back by the very introspector used on the live file, with provenance
(file, line, table rename hints) attached. Also the schema lint of `validate`.

SQLite is the parser: every syntax error surfaces here with `file:line`.
This module never touches the live database.
"""

from __future__ import annotations

import sqlite3
import time
from dataclasses import dataclass, replace

from dbinit.dialect import hint_for_sqlite
from dbinit.errors import SchemaError, received_signals
from dbinit.schemafiles import load_time_limit, within
from dbinit.sqlite.errors import sqlite_error_name, stopped
from dbinit.sqlite.introspect import introspect, is_internal
from dbinit.sqlite.model import Schema, SourceLoc, Trigger
from dbinit.sqlite.sqlfiles import SchemaFiles
from dbinit.sqlite.sqltext import (
    LexError,
    column_clauses,
    create_head,
    fold,
    lex,
    quote_ident,
    significant,
)

RESERVED_PREFIX = "_dbinit_"  # dbinit's own tables: history, rebuild copies


@dataclass(frozen=True, slots=True)
class LintIssue:
    loc: SourceLoc | None
    message: str

    def __str__(self) -> str:
        return f"{self.loc}: {self.message}" if self.loc else self.message


@dataclass(frozen=True, slots=True)
class AppNames:
    """Functions and collations the application registers at run time."""

    functions: tuple[str, ...] = ()
    collations: tuple[str, ...] = ()


def register_stand_ins(conn: sqlite3.Connection, names: AppNames) -> None:
    """Stand-ins so SQLite accepts schema text that uses the application's
    functions and collations; they are never meant to compute real values."""
    for name in names.functions:
        conn.create_function(name, -1, _stand_in, deterministic=True)
    for name in names.collations:
        conn.create_collation(name, _binary)


def _stand_in(*_args: object) -> None:
    return None


def _binary(a: str, b: str) -> int:
    return (a > b) - (a < b)


_UNKNOWN = (
    ("no such function: ", "function", "DBINIT_APP_FUNCTIONS", "app_functions"),
    ("no such collation sequence: ", "collation", "DBINIT_APP_COLLATIONS", "app_collations"),
)


def how_to_declare(message: str) -> str:
    """SQLite's error, plus how to declare a function or collation it does not know."""
    for prefix, what, env, key in _UNKNOWN:
        at = message.find(prefix)
        if at != -1:
            name = message[at + len(prefix) :].split()[0] if message[at + len(prefix) :] else ""
            return (
                f"{message}; if the application registers the {what} {name} at run time, "
                f"declare it: {env}={name} (environment or .env) or "
                f'{key} = ["{name}"] in [tool.dbinit] of pyproject.toml'
            )
    return message


@dataclass(frozen=True, slots=True)
class Desired:
    schema: Schema
    files: SchemaFiles  # statements are empty when the model was remembered
    lint: tuple[LintIssue, ...]
    key: str = ""  # the remembered-state key (dbinit.remember); "" when not computed
    remembered: bool = False  # read from the database, not built from the files

    @property
    def folder(self) -> str:
        return self.files.folder

    @property
    def file_count(self) -> int:
        return len(self.files.files)


def build(
    files: SchemaFiles, deadline: float | None = None, app: AppNames | None = None
) -> Desired:
    """Execute the files into `:memory:` and read them back; a statement still
    running at `deadline` (time.monotonic) is interrupted as a schema error.
    `app` names the application's functions and collations (stand-ins here)."""
    conn = sqlite3.connect(":memory:", isolation_level=None)
    register_stand_ins(conn, app or AppNames())
    if deadline is not None:
        conn.set_progress_handler(lambda: int(time.monotonic() > deadline), 10_000)
    try:
        for st in files.statements:
            if is_internal(st.name) or fold(st.name).startswith(RESERVED_PREFIX):
                raise SchemaError(
                    f"{st.loc}: the name {st.name!r} is reserved for SQLite or dbinit"
                )
            try:
                conn.execute(st.sql)
            except (sqlite3.Error, sqlite3.Warning) as exc:
                _raise_if_stopped(exc, deadline, str(st.loc))
                hint = hint_for_sqlite("\n".join(s.sql for s in files.statements))
                raise SchemaError(
                    f"{st.loc}: {how_to_declare(str(exc))}{hint}", details=f"sqlite3: {exc}"
                ) from exc
            except (ValueError, OverflowError, MemoryError, RecursionError) as exc:
                raise SchemaError(f"{st.loc}: statement rejected: {exc}") from exc
            within(deadline, str(st.loc))  # SQLite's parser does not call the handler
        try:
            schema = introspect(conn)
        except sqlite3.Error as exc:
            _raise_if_stopped(exc, deadline, "reading the declared schema back")
            raise SchemaError(f"{files.folder}: cannot read the declared schema: {exc}") from exc
        within(deadline, "reading the declared schema back")
        schema = _attach_provenance(schema, files)
        try:
            issues = _lint(conn, schema, files)
        except sqlite3.Error as exc:  # e.g. interrupted at the time limit
            _raise_if_stopped(exc, deadline, "the schema lint")
            raise SchemaError(f"{files.folder}: cannot lint the declared schema: {exc}") from exc
        within(deadline, "the schema lint")
    finally:
        conn.close()
    return Desired(schema, files, tuple(issues))


def _raise_if_stopped(exc: BaseException, deadline: float | None, where: str) -> None:
    """SQLite stopped by the progress handler: a signal's handler raised in it
    (the run's interrupt, 130/143), or the time limit was reached (75, naming
    `where`)."""
    if sqlite_error_name(exc) != "SQLITE_INTERRUPT":
        return
    if received_signals or deadline is None or time.monotonic() <= deadline:
        raise stopped() from None
    raise load_time_limit(where) from None


def _attach_provenance(schema: Schema, files: SchemaFiles) -> Schema:
    first: dict[tuple[str, str], SourceLoc] = {}
    hints: dict[str, str] = {}
    columns: dict[str, dict[str, SourceLoc]] = {}  # table -> column -> its line
    for st in files.statements:
        group = "table" if st.kind in ("table", "virtual_table") else st.kind
        first.setdefault((group, fold(st.name)), st.loc)
        if st.renamed_from:
            hints[fold(st.name)] = st.renamed_from
        if st.kind == "table":
            columns.setdefault(fold(st.name), _column_lines(st.sql, st.loc))
    return Schema(
        tables={
            k: replace(
                t,
                loc=first.get(("table", k)),
                renamed_from=hints.get(k),
                columns=tuple(replace(c, loc=columns.get(k, {}).get(c.key)) for c in t.columns),
            )
            for k, t in schema.tables.items()
        },
        indexes={k: replace(i, loc=first.get(("index", k))) for k, i in schema.indexes.items()},
        views={k: replace(v, loc=first.get(("view", k))) for k, v in schema.views.items()},
        triggers={k: replace(t, loc=first.get(("trigger", k))) for k, t in schema.triggers.items()},
    )


def _column_lines(sql: str, loc: SourceLoc) -> dict[str, SourceLoc]:
    """Where each column of a CREATE TABLE is declared (`loc`: the statement's)."""
    try:
        clauses = column_clauses(sql)
    except LexError:  # pragma: no cover - SQLite ran the statement: it lexes
        return {}
    return {fold(c.name): SourceLoc(loc.file, loc.line + c.line - 1) for c in clauses}


_UNIQUE_INDEXES = """
SELECT s.name, il.name, ii.name
FROM sqlite_schema AS s
JOIN pragma_index_list(s.name) AS il
JOIN pragma_index_info(il.name) AS ii
WHERE s.type = 'table' AND il."unique" = 1 AND il.partial = 0
ORDER BY s.name, il.name, ii.seqno
"""


def _lint(conn: sqlite3.Connection, schema: Schema, files: SchemaFiles) -> list[LintIssue]:
    issues: list[LintIssue] = []
    # Tables, indexes and views share one namespace; triggers have their own.
    seen: dict[tuple[bool, str], SourceLoc] = {}
    renamed: dict[str, tuple[str, SourceLoc]] = {}
    for st in files.statements:
        key = (st.kind == "trigger", fold(st.name))
        if st.renamed_from:
            old = fold(st.renamed_from)
            if old in renamed:
                first, first_loc = renamed[old]
                issues.append(
                    LintIssue(
                        st.loc,
                        f"{st.name} and {first} are both renamed from {st.renamed_from} "
                        f"(first at {first_loc}); a table can be renamed only once",
                    )
                )
            else:
                renamed[old] = (st.name, st.loc)
        if key in seen:
            issues.append(
                LintIssue(st.loc, f"{st.name!r} is declared twice (first at {seen[key]})")
            )
        else:
            seen[key] = st.loc

    keys: dict[str, set[tuple[str, ...]]] = {}
    grouped: dict[tuple[str, str], list[str]] = {}
    for tname, iname, cname in conn.execute(_UNIQUE_INDEXES):
        grouped.setdefault((fold(tname), iname), []).append(fold(cname or ""))
    for (tkey, _), cols in grouped.items():
        keys.setdefault(tkey, set()).add(tuple(sorted(cols)))
    for table in schema.tables.values():
        keys.setdefault(table.key, set())
        if table.primary_key:
            keys[table.key].add(tuple(sorted(table.primary_key)))

    for table in schema.tables.values():
        for fk in table.foreign_keys:
            where = f"{table.name}{fk.describe()}"
            parent = schema.tables.get(fk.ref_table)
            if parent is None:
                issues.append(
                    LintIssue(table.loc, f"foreign key {where} refers to a table no file declares")
                )
                continue
            if not fk.ref_columns:
                if not parent.primary_key:
                    issues.append(
                        LintIssue(
                            table.loc,
                            f"foreign key {where} names no columns and {parent.name} "
                            "has no PRIMARY KEY",
                        )
                    )
                continue
            missing = [c for c in fk.ref_columns if parent.column(c) is None]
            if missing:
                issues.append(
                    LintIssue(
                        table.loc,
                        f"foreign key {where} refers to missing column(s) "
                        f"{', '.join(missing)} of {parent.name}",
                    )
                )
            elif tuple(sorted(fk.ref_columns)) not in keys[parent.key]:
                issues.append(
                    LintIssue(
                        table.loc,
                        f"foreign key {where}: ({', '.join(fk.ref_columns)}) is neither the "
                        f"PRIMARY KEY of {parent.name} nor UNIQUE",
                    )
                )
    for view in schema.views.values():
        try:
            conn.execute(f"SELECT * FROM {quote_ident(view.name)} LIMIT 0").fetchall()
        except sqlite3.Error as exc:
            issues.append(LintIssue(view.loc, f"view {view.name}: {how_to_declare(str(exc))}"))
    issues += _lint_triggers(conn, schema)
    return issues


def _lint_triggers(conn: sqlite3.Connection, schema: Schema) -> list[LintIssue]:
    """Compile each trigger's body as views are compiled: SQLite resolves the
    functions, collations and tables of a trigger only when a statement that
    fires it is prepared, so `EXPLAIN` one such statement per table and event;
    a group that fails is probed again one trigger at a time to name it."""
    groups: dict[str, list[Trigger]] = {}
    for trigger in schema.triggers.values():
        probe = _firing_statement(conn, trigger.sql, trigger.table_name)
        if probe is not None:
            groups.setdefault(probe, []).append(trigger)
    issues: list[LintIssue] = []
    for probe, triggers in groups.items():
        try:
            conn.execute(probe).fetchall()
            continue
        except sqlite3.Error as exc:
            failed: sqlite3.Error | None = exc
        for trigger in triggers:
            error = _probe_alone(conn, probe, trigger, triggers) if len(triggers) > 1 else failed
            if error is not None:
                issues.append(
                    LintIssue(trigger.loc, f"trigger {trigger.name}: {how_to_declare(str(error))}")
                )
    return issues


def _probe_alone(
    conn: sqlite3.Connection, probe: str, trigger: Trigger, group: list[Trigger]
) -> sqlite3.Error | None:
    conn.execute("SAVEPOINT dbinit_lint")
    try:
        for other in group:
            if other is not trigger:
                conn.execute(f"DROP TRIGGER {quote_ident(other.name)}")
        conn.execute(probe).fetchall()
    except sqlite3.Error as exc:
        return exc
    finally:
        conn.execute("ROLLBACK TO dbinit_lint")
        conn.execute("RELEASE dbinit_lint")
    return None


def _firing_statement(conn: sqlite3.Connection, sql: str, table: str) -> str | None:
    """`EXPLAIN` of a statement that fires the trigger `sql` on `table`."""
    sig = significant(lex(sql, limit=40))
    _, _, after = create_head(sig)
    event = next(
        (t.text.upper() for t in sig[after:] if t.is_kw("INSERT", "UPDATE", "DELETE")), None
    )
    target = quote_ident(table)
    if event == "INSERT":
        return f"EXPLAIN INSERT INTO {target} DEFAULT VALUES"
    if event == "DELETE":
        return f"EXPLAIN DELETE FROM {target}"
    if event == "UPDATE":
        cols = [
            quote_ident(name)
            for name, hidden in conn.execute(
                "SELECT name, hidden FROM pragma_table_xinfo(?)", (table,)
            )
            if hidden == 0
        ]
        if cols:
            return f"EXPLAIN UPDATE {target} SET " + ", ".join(f"{c} = {c}" for c in cols)
    return None
