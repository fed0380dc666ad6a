"""Split PostgreSQL schema files into statements and classify them, with
PostgreSQL's own grammar (libpg_query, through the BSD-licensed `pgparse`).

Never a hand-written lexer: the parse tree says where each statement starts and
ends (its exact source text is what runs, so one file statement can never become
two) and what it is (its node type, checked against an allow-list: schema files
are declarations, not programs). `split` reads one file; `head` says what a
statement declares, or refuses it with `file:line`.

Allowed (`ALLOWED`): CREATE of tables (`UNLOGGED` too), indexes (`CONCURRENTLY`
is read as a plain index declaration), views, materialized views, sequences,
types (enum, composite, range, domain), functions and procedures, aggregates,
triggers, extensions, policies, collations and text-search configurations and
dictionaries; the ALTERs of those kinds that only declare (see `_ALTER_TABLE`);
COMMENT ON of those kinds. Everything else is a `SchemaError`: transaction
control, DO, COPY, SET/RESET, SELECT, DML, CREATE TABLE … AS, roles,
ALTER SYSTEM/DATABASE/ROLE, schemas, drops, psql meta-commands; and what dbinit
would accept and then not apply (issue 15 §4): typed tables, table inheritance,
DISABLE TRIGGER ALL, ALTER SEQUENCE … RESTART, temporary views, base and shell
types, window functions. What is accepted is read back from the catalogs and
compared (introspect.py): nothing is accepted and ignored. Owners and
privileges (`ALTER … OWNER TO`, `GRANT`, `REVOKE`, `ALTER DEFAULT PRIVILEGES`),
which dbinit does not manage, are accepted and left out with a log note
(`not_managed`), as `pg_dump` writes them.

Built without running a query of the files: a materialized view's statement is
rewritten to `WITH NO DATA` for the scratch space (`Statement.scratch_sql`), and
the few places where DDL evaluates an expression when it runs (a partition bound,
an `ALTER TABLE … ADD COLUMN … DEFAULT`) accept only constants.

`pg_dump`'s preamble (the `SET` lines it writes, `SELECT
pg_catalog.set_config('search_path', '', false)`, and the `\\restrict KEY` /
`\\unrestrict KEY` lines of recent versions) is recognised and skipped with a log
note, so `pg_dump --schema-only` output works unchanged.

Rename hints (docs/schema-files.md) are read from the text, because the parser
drops comments: `-- dbinit: renamed-from=OLD` on a comment line directly above a
`CREATE TABLE` (the table's) or on a line of a column's definition inside it (the
column's: the element of the table whose text holds the comment). `OLD` folds
like an identifier: unquoted to lower case, `"Quoted"` exactly.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from dbinit.errors import SchemaError
from dbinit.logs import log

_HINT = re.compile(rb'--[^\n\r]*?dbinit:\s*renamed-from\s*=\s*("(?:[^"\n\r]|"")+"|[^\s"*]+)')
_META = re.compile(rb"\\(un)?restrict [A-Za-z0-9]*[ \t]*(?=\r?\n|$)")
_SPACE = b" \t\n\r\f\v"


@dataclass(frozen=True, slots=True)
class Statement:
    file: str
    line: int  # line of the statement's first token, 1-based
    sql: str  # from the first token up to (not including) the closing `;`
    node: str = ""  # the parse tree's node type: "CreateStmt", "IndexStmt", …
    tree: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)
    renamed_from: str | None = None  # a table's rename hint (the comment line above)
    # Column rename hints of a CREATE TABLE: (column, old name, line of the hint).
    column_hints: tuple[tuple[str, str, int], ...] = ()
    # The text the scratch space runs when it differs from `sql` (a materialized
    # view WITH NO DATA, an index built without CONCURRENTLY).
    rewritten: str | None = None
    # A CREATE TABLE's columns and the line each is defined on.
    column_lines: tuple[tuple[str, int], ...] = ()

    @property
    def loc(self) -> str:
        return f"{self.file}:{self.line}"

    @property
    def scratch_sql(self) -> str:
        return self.sql if self.rewritten is None else self.rewritten

    def line_at(self, position: int) -> int:
        """Line of a 1-based character position in `sql` (PostgreSQL's error position)."""
        if position <= 0:
            return self.line
        return self.line + self.sql.count("\n", 0, position - 1)


def _pgparse() -> Any:
    """The libpg_query binding, imported lazily: only PostgreSQL paths need it."""
    import pgparse  # type: ignore[import-not-found]  # no type information shipped

    return pgparse


def _parse(text: bytes) -> list[dict[str, Any]]:
    return list(_pgparse().parse(text.decode("utf-8")))


def _parses(data: bytes) -> list[dict[str, Any]] | None:
    """The parse of `data`, or None when it is not valid SQL."""
    try:
        return _parse(data)
    except _pgparse().PGQueryError:
        return None


def _line(data: bytes, offset: int) -> int:
    return data.count(b"\n", 0, offset) + 1


def split(file: str, text: str) -> list[Statement]:
    """The statements of one file, in order; comments, blank text and pg_dump's
    preamble dropped. Syntax errors and psql meta-commands are `SchemaError`s."""
    pgparse = _pgparse()
    data = text.encode("utf-8")
    while True:
        try:
            raw = _parse(data)
            break
        except pgparse.PGQueryError as exc:
            at = max(int(getattr(exc, "position", 0) or 0) - 1, 0)
            meta = _meta_line(data, at)
            if meta is None:
                raise _syntax_error(file, data, at, str(getattr(exc, "message", exc))) from None
            start, end = meta
            log.info(
                "schema.skipped",
                file=file,
                line=_line(data, start),
                statement=data[start:end].decode().split()[0],
                reason="pg_dump's psql fence",
            )
            data = data[:start] + b" " * (end - start) + data[end:]
    out: list[Statement] = []
    gap_from = 0
    for item in raw:
        loc = int(item.get("stmt_location") or 0)
        length = int(item.get("stmt_len") or 0)
        end = loc + length if length else len(data)
        first = _skip_blank(data, loc, end)
        node, tree = next(iter(item["stmt"].items()))
        line = _line(data, first)
        above = _comments(data, gap_from, first)
        gap_from = end + 1
        sql = data[first:end].decode("utf-8").rstrip()
        st = Statement(file, line, sql, node, tree)
        if _preamble(node, tree):
            log.info("schema.skipped", file=file, line=line, statement=sql, reason="preamble")
            continue
        why = not_managed(node, tree)
        if why is not None:
            log.info("schema.skipped", file=file, line=line, statement=sql[:200], reason=why)
            continue
        if node == "CreateStmt":
            hint = _hint_above(above, line)
            hints = _column_hints(data, first, end, tree)
            lines = _column_lines(data, first, line, tree)
            st = Statement(file, line, sql, node, tree, hint, hints, column_lines=lines)
        out.append(st)
    return out


def _meta_line(data: bytes, at: int) -> tuple[int, int] | None:
    """The `\\restrict KEY` / `\\unrestrict KEY` line pg_dump writes, where the
    parser stopped: (start, end) of the text to skip."""
    bol = data.rfind(b"\n", 0, at) + 1
    if data[bol:at].strip(_SPACE):
        return None
    m = _META.match(data, at)
    return (m.start(), m.end()) if m else None


def _syntax_error(file: str, data: bytes, at: int, message: str) -> SchemaError:
    line = _line(data, at)
    bol = data.rfind(b"\n", 0, at) + 1
    if data[at : at + 1] == b"\\" and not data[bol:at].strip(_SPACE):
        word = data[at:].split(None, 1)[0].decode("utf-8", "replace")
        return SchemaError(
            f"{file}:{line}: psql meta-command not allowed in a schema file: {word} "
            "(schema files are plain SQL declarations)"
        )
    from dbinit.dialect import hint_for_postgresql

    hint = hint_for_postgresql(data.decode("utf-8", "replace"))
    return SchemaError(f"{file}:{line}: {message}{hint}")


def _skip_blank(data: bytes, i: int, end: int) -> int:
    """Index of the first token at or after `i`: whitespace and comments skipped
    (a `--` comment ends at a newline or carriage return, as in PostgreSQL)."""
    while i < end:
        c = data[i : i + 1]
        if c in (b" ", b"\t", b"\n", b"\r", b"\f", b"\v"):
            i += 1
        elif data.startswith(b"--", i):
            i = _comment_end(data, i, end)
        elif data.startswith(b"/*", i):
            i = _block_end(data, i, end)
        else:
            return i
    return end


def _comment_end(data: bytes, i: int, end: int) -> int:
    ends = [p for p in (data.find(b"\n", i, end), data.find(b"\r", i, end)) if p >= 0]
    return min(ends) if ends else end


def _block_end(data: bytes, i: int, end: int) -> int:
    level = 0
    while i < end:
        if data.startswith(b"/*", i):
            level += 1
            i += 2
        elif data.startswith(b"*/", i):
            level -= 1
            i += 2
            if level == 0:
                return i
        else:
            i += 1
    return end


def _comments(data: bytes, i: int, end: int) -> dict[int, str | None]:
    """The `--` comment lines between two statements (only blanks and comments
    there): line -> its rename hint, if any."""
    out: dict[int, str | None] = {}
    while i < end:
        if data.startswith(b"--", i):
            stop = _comment_end(data, i, end)
            hint = _HINT.match(data, i, stop)
            line = _line(data, i)
            out[line] = _fold(hint.group(1)) if hint else out.get(line)
            i = stop
        elif data.startswith(b"/*", i):
            i = _block_end(data, i, end)
        else:
            i += 1
    return out


def _hint_above(above: dict[int, str | None], line: int) -> str | None:
    """The rename hint in the comment lines directly above `line`, if any."""
    line -= 1
    while line in above:
        if above[line]:
            return above[line]
        line -= 1
    return None


def _column_lines(
    data: bytes, start: int, line: int, tree: Mapping[str, Any]
) -> tuple[tuple[str, int], ...]:
    """Each column definition of a CREATE TABLE starting at byte `start` (on
    `line`), with the line it is on (counted from the statement, not the file)."""
    out = []
    for el in tree.get("tableElts", ()):
        body = el.get("ColumnDef")
        if body is not None and int(body.get("location", -1)) >= start:
            at = int(body["location"])
            out.append((str(body.get("colname")), line + data.count(b"\n", start, at)))
    return tuple(out)


def _column_hints(
    data: bytes, start: int, end: int, tree: Mapping[str, Any]
) -> tuple[tuple[str, str, int], ...]:
    """Rename hints on the lines of a CREATE TABLE's column definitions. A
    candidate is a comment only if blanking it leaves the parse tree unchanged
    (inside a string or a quoted name it would not)."""
    if b"renamed-from" not in data[start:end]:
        return ()
    elements: list[tuple[int, str | None]] = []
    for el in tree.get("tableElts", ()):
        kind, body = next(iter(el.items()))
        at = int(body.get("location", -1))
        if at >= 0:
            elements.append((at, body.get("colname") if kind == "ColumnDef" else None))
    before = json.dumps(_parse(data[:end]))
    out: list[tuple[str, str, int]] = []
    i = start
    while (m := _HINT.search(data, i, end)) is not None:
        i = m.end()
        stop = _comment_end(data, m.start(), end)
        blanked = data[: m.start()] + b" " * (stop - m.start()) + data[stop:end]
        if json.dumps(_parses(blanked)) != before:
            continue  # not a comment: inside a string or a quoted name
        owner = [name for at, name in elements if at <= m.start()]
        if owner and owner[-1] is not None:
            out.append((owner[-1], _fold(m.group(1)), _line(data, m.start())))
    return tuple(out)


def _fold(name: bytes) -> str:
    """A hint's name as PostgreSQL would read it as an identifier."""
    text = name.decode("utf-8")
    if text.startswith('"') and text.endswith('"') and len(text) >= 2:
        return text[1:-1].replace('""', '"')
    return text.lower()


# -- pg_dump's preamble ---------------------------------------------------------

# The settings pg_dump writes (at the top, and before tables): never run, skipped.
_PG_DUMP_SETTINGS = frozenset(
    {
        "statement_timeout",
        "lock_timeout",
        "idle_in_transaction_session_timeout",
        "transaction_timeout",
        "client_encoding",
        "standard_conforming_strings",
        "check_function_bodies",
        "xmloption",
        "client_min_messages",
        "row_security",
        "default_tablespace",
        "default_table_access_method",
        "default_with_oids",
    }
)


def _preamble(node: str, tree: Mapping[str, Any]) -> bool:
    if node == "VariableSetStmt":
        return tree.get("kind") == "VAR_SET_VALUE" and tree.get("name") in _PG_DUMP_SETTINGS
    if node != "SelectStmt" or set(tree) - {"targetList", "limitOption", "op"}:
        return False
    # SELECT pg_catalog.set_config('search_path', '', false);
    targets = tree.get("targetList", [])
    if len(targets) != 1:
        return False
    call = targets[0].get("ResTarget", {}).get("val", {}).get("FuncCall", {})
    args = [a.get("A_Const", {}) for a in call.get("args", [])]
    return (
        _names(call.get("funcname", [])) == ["pg_catalog", "set_config"]
        and len(args) == 3
        and args[0].get("sval", {}).get("sval") == "search_path"
        and args[1].get("sval", {}).get("sval", "") == ""
        and "sval" in args[1]
        and args[2].get("boolval", {}).get("boolval", False) is False
        and "boolval" in args[2]
        and set(call) <= {"funcname", "args", "funcformat", "location"}
    )


def not_managed(node: str, tree: Mapping[str, Any]) -> str | None:
    """Why a statement `pg_dump` writes about something dbinit does not manage
    (owners, privileges) is accepted and left out, or None. Such objects are
    listed as not managed on the live side and never change an exit code."""
    if node in ("GrantStmt", "AlterDefaultPrivilegesStmt"):
        return "privileges are not managed"
    if node == "AlterOwnerStmt":
        return "owners are not managed"
    if node == "CreateSchemaStmt" and not tree.get("schemaElts"):
        # The managed schema is DBINIT_PG_SCHEMA (dbinit creates it); the schema an
        # extension is declared in is created with the extension.
        return "schemas are not managed"
    if node == "AlterTableStmt":
        cmds = [next(iter(c.values())) for c in tree.get("cmds", [])]
        if cmds and all(c.get("subtype") == "AT_ChangeOwner" for c in cmds):
            return "owners are not managed"
    return None


# -- classification ----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Head:
    """What a statement declares."""

    verb: str  # "create", "alter", "comment"
    kind: str | None  # for CREATE: table, index, view, … (see `head`)
    name: str | None  # the created object's name (None when PostgreSQL chooses it)
    qualifier: str | None  # the schema the name is qualified with, if any
    concurrently: bool = False  # CREATE INDEX CONCURRENTLY (built plainly in the scratch)


ALLOWED = (
    "CREATE [UNLOGGED] TABLE (not … AS, not TEMP, not OF type), CREATE [UNIQUE] INDEX, "
    "CREATE VIEW (not TEMP), CREATE MATERIALIZED VIEW, CREATE [UNLOGGED] SEQUENCE, "
    "CREATE TYPE (enum, composite, range; not base or shell), CREATE DOMAIN, "
    "CREATE FUNCTION (not WINDOW)/PROCEDURE/AGGREGATE, CREATE [CONSTRAINT] TRIGGER, "
    "CREATE EXTENSION, CREATE POLICY, CREATE COLLATION, CREATE TEXT SEARCH "
    "CONFIGURATION/DICTIONARY; ALTER of those kinds (no SET SCHEMA, TABLESPACE, [NOT] OF, "
    "INHERIT, DISABLE TRIGGER ALL, ALTER SEQUENCE … RESTART); COMMENT ON those kinds; "
    "owners and privileges (ALTER … OWNER TO, GRANT, REVOKE, ALTER DEFAULT PRIVILEGES) are "
    "accepted and left out: not managed. Every ALTER TABLE subcommand accepted "
    "(_ALTER_TABLE) is read back from the catalogs and compared: none is ignored"
)

# ALTER TABLE subcommands that only declare something about the table.
_ALTER_TABLE = frozenset(
    {
        "AT_AddColumn",
        "AT_ColumnDefault",
        "AT_DropNotNull",
        "AT_SetNotNull",
        "AT_SetStatistics",
        "AT_SetOptions",
        "AT_ResetOptions",
        "AT_SetStorage",
        "AT_SetCompression",
        "AT_DropColumn",
        "AT_AddIndex",
        "AT_AddConstraint",
        "AT_AlterConstraint",
        "AT_ValidateConstraint",
        "AT_AddIndexConstraint",
        "AT_DropConstraint",
        "AT_AlterColumnType",
        "AT_ClusterOn",
        "AT_DropCluster",
        "AT_SetLogged",
        "AT_SetUnLogged",
        "AT_SetRelOptions",
        "AT_ResetRelOptions",
        "AT_ReplaceRelOptions",
        "AT_EnableTrig",
        "AT_EnableAlwaysTrig",
        "AT_EnableReplicaTrig",
        "AT_DisableTrig",
        "AT_EnableTrigAll",
        "AT_EnableTrigUser",
        "AT_DisableTrigUser",
        "AT_ReplicaIdentity",
        "AT_EnableRowSecurity",
        "AT_DisableRowSecurity",
        "AT_ForceRowSecurity",
        "AT_NoForceRowSecurity",
        "AT_AttachPartition",
        "AT_DetachPartition",
        "AT_AddIdentity",
        "AT_SetIdentity",
        "AT_DropIdentity",
        "AT_DropExpression",
    }
)
_RELATION_KINDS = frozenset(
    {
        "OBJECT_TABLE",
        "OBJECT_INDEX",
        "OBJECT_VIEW",
        "OBJECT_MATVIEW",
        "OBJECT_SEQUENCE",
        "OBJECT_TYPE",
    }
)
# Objects that COMMENT ON and ALTER … RENAME may name: the managed kinds.
_OBJECT_KINDS = _RELATION_KINDS | {
    "OBJECT_COLUMN",
    "OBJECT_DOMAIN",
    "OBJECT_DOMCONSTRAINT",
    "OBJECT_TABCONSTRAINT",
    "OBJECT_FUNCTION",
    "OBJECT_PROCEDURE",
    "OBJECT_ROUTINE",
    "OBJECT_AGGREGATE",
    "OBJECT_TRIGGER",
    "OBJECT_POLICY",
    "OBJECT_EXTENSION",
    "OBJECT_COLLATION",
    "OBJECT_TSCONFIGURATION",
    "OBJECT_TSDICTIONARY",
    "OBJECT_ATTRIBUTE",
}
_DEFINE_KINDS = {
    "OBJECT_AGGREGATE": "aggregate",
    "OBJECT_TYPE": "type",
    "OBJECT_COLLATION": "collation",
    "OBJECT_TSCONFIGURATION": "text_search_configuration",
    "OBJECT_TSDICTIONARY": "text_search_dictionary",
}
# How a refused statement is named in the message, where the node's name is unclear.
_WORDS = {
    "TransactionStmt": "transaction control",
    "DoStmt": "DO",
    "CopyStmt": "COPY",
    "VariableSetStmt": "SET/RESET",
    "VariableShowStmt": "SHOW",
    "SelectStmt": "SELECT",
    "InsertStmt": "INSERT",
    "UpdateStmt": "UPDATE",
    "DeleteStmt": "DELETE",
    "MergeStmt": "MERGE",
    "CreateTableAsStmt": "CREATE TABLE … AS",
    "CreateRoleStmt": "CREATE ROLE",
    "AlterRoleStmt": "ALTER ROLE",
    "AlterRoleSetStmt": "ALTER ROLE … SET",
    "GrantRoleStmt": "GRANT/REVOKE of a role",
    "AlterSystemStmt": "ALTER SYSTEM",
    "AlterDatabaseStmt": "ALTER DATABASE",
    "AlterDatabaseSetStmt": "ALTER DATABASE … SET",
    "CreatedbStmt": "CREATE DATABASE",
    "DropdbStmt": "DROP DATABASE",
    "CreateSchemaStmt": "CREATE SCHEMA",
    "DropStmt": "DROP",
    "AlterObjectSchemaStmt": "ALTER … SET SCHEMA",
    "CallStmt": "CALL",
    "ExecuteStmt": "EXECUTE",
    "PrepareStmt": "PREPARE",
    "RefreshMatViewStmt": "REFRESH MATERIALIZED VIEW",
    "VacuumStmt": "VACUUM/ANALYZE",
    "RuleStmt": "CREATE RULE",
}


def head(st: Statement) -> Head:
    """What an allowed statement declares; anything else is a `SchemaError`
    naming the statement's kind at its `file:line`."""
    tree = st.tree
    node = st.node
    if node == "CreateStmt":
        rel = tree.get("relation", {})
        if rel.get("relpersistence") == "t":
            raise _refused(st, "CREATE TEMP TABLE")
        _inert(st, tree.get("partbound"), "a partition bound")
        if tree.get("inhRelations") and not tree.get("partbound"):
            raise _inheritance(st, tree["inhRelations"][0], "INHERITS")
        if tree.get("ofTypename"):
            raise _typed(st, f"CREATE TABLE … OF {_names(tree['ofTypename'].get('names'))[-1]}")
        return _rel("table", rel)
    if node == "IndexStmt":
        rel = tree.get("relation", {})
        concurrently = bool(tree.get("concurrent"))
        return Head("create", "index", tree.get("idxname"), rel.get("schemaname"), concurrently)
    if node == "ViewStmt":
        if tree.get("view", {}).get("relpersistence") == "t":
            raise _refused(st, "CREATE TEMP VIEW")
        return _rel("view", tree.get("view", {}))
    if node == "CreateTableAsStmt":
        if tree.get("objtype") != "OBJECT_MATVIEW":
            raise _refused(st, "CREATE TABLE … AS (it runs its query; declare the table)")
        return _rel("materialized_view", tree.get("into", {}).get("rel", {}))
    if node == "CreateSeqStmt":
        rel = tree.get("sequence", {})
        if rel.get("relpersistence") == "t":
            raise _refused(st, "CREATE TEMP SEQUENCE")
        return _rel("sequence", rel)
    if node in ("CreateEnumStmt", "CreateRangeStmt"):
        return _named("type", tree.get("typeName", []))
    if node == "CreateDomainStmt":
        return _named("type", tree.get("domainname", []))
    if node == "CompositeTypeStmt":
        return _rel("type", tree.get("typevar", {}))
    if node == "DefineStmt":
        kind = _DEFINE_KINDS.get(str(tree.get("kind")))
        if kind is None:
            raise _refused(st, _describe(st))
        if kind == "type":  # CREATE TYPE name [(INPUT = …, OUTPUT = …)]
            what = (
                "base types (CREATE TYPE name (INPUT = …))"
                if tree.get("definition")
                else ("shell types (CREATE TYPE name, without AS)")
            )
            raise _not_managed(st, what, "they exist for functions written in C")
        return _named(kind, tree.get("defnames", []))
    if node == "CreateFunctionStmt":
        if any(_option(o) == "window" for o in tree.get("options", [])):
            raise _not_managed(
                st, "window functions (CREATE FUNCTION … WINDOW)", "they are written in C"
            )
        return _named("function", tree.get("funcname", []))
    if node == "CreateTrigStmt":
        qualifier = tree.get("relation", {}).get("schemaname")
        return Head("create", "trigger", tree.get("trigname"), qualifier)
    if node == "CreateExtensionStmt":
        return Head("create", "extension", tree.get("extname"), None)
    if node == "CreatePolicyStmt":
        qualifier = tree.get("table", {}).get("schemaname")
        return Head("create", "policy", tree.get("policy_name"), qualifier)
    if node == "CommentStmt":
        if tree.get("objtype") not in _OBJECT_KINDS:
            raise _refused(st, f"COMMENT ON {_object_word(tree.get('objtype'))}")
        return Head("comment", None, None, None)
    if node == "AlterTableStmt":
        return _alter_table(st)
    if node == "RenameStmt":
        if tree.get("renameType") not in _OBJECT_KINDS:
            raise _refused(st, f"ALTER {_object_word(tree.get('renameType'))} … RENAME")
        return Head("alter", None, None, None)
    if node == "AlterSeqStmt" and any(_option(o) == "restart" for o in tree.get("options", [])):
        raise SchemaError(
            f"{st.loc}: ALTER SEQUENCE … RESTART: a sequence's current value is state, not "
            "a declaration (declare where it starts with START WITH; dbinit moves a sequence "
            "behind its column forward by itself)"
        )
    if node in (
        "AlterSeqStmt",
        "AlterEnumStmt",
        "AlterDomainStmt",
        "AlterFunctionStmt",
        "AlterPolicyStmt",
        "AlterTSConfigurationStmt",
        "AlterTSDictionaryStmt",
        "AlterCompositeTypeStmt",
    ):
        return Head("alter", None, None, None)
    raise _refused(st, _describe(st))


def _alter_table(st: Statement) -> Head:
    tree = st.tree
    if tree.get("objtype") not in _RELATION_KINDS:
        raise _refused(st, f"ALTER {_object_word(tree.get('objtype'))}")
    for cmd in tree.get("cmds", []):
        body = cmd.get("AlterTableCmd", {})
        sub = str(body.get("subtype", ""))
        if sub == "AT_ChangeOwner":
            raise _refused(
                st,
                "ALTER TABLE … OWNER TO together with other changes (owners are "
                "not managed: alone, as pg_dump writes it, it is accepted and left out)",
            )
        if sub in ("AT_AddInherit", "AT_DropInherit"):
            word = "INHERIT" if sub == "AT_AddInherit" else "NO INHERIT"
            raise _inheritance(st, body.get("def", {}), f"ALTER TABLE … {word}")
        if sub == "AT_AddOf":
            of = _names(body.get("def", {}).get("TypeName", {}).get("names"))
            raise _typed(st, f"ALTER TABLE … OF {of[-1] if of else ''}".rstrip())
        if sub == "AT_DropOf":
            raise _typed(st, "ALTER TABLE … NOT OF")
        if sub == "AT_DisableTrigAll":
            raise SchemaError(
                f"{st.loc}: ALTER TABLE … DISABLE TRIGGER ALL also disables the triggers that "
                "enforce foreign keys, which dbinit does not manage: disable the table's own "
                "triggers by name, or write DISABLE TRIGGER USER"
            )
        if sub not in _ALTER_TABLE:
            raise _refused(st, f"ALTER TABLE … {sub.removeprefix('AT_')}")
        definition = body.get("def", {})
        if sub == "AT_AddColumn":
            # A non-volatile DEFAULT of an added column is evaluated right away.
            for c in definition.get("ColumnDef", {}).get("constraints", []):
                if c.get("Constraint", {}).get("contype") == "CONSTR_DEFAULT":
                    _inert(st, c["Constraint"].get("raw_expr"), "the DEFAULT of an added column")
        if sub == "AT_AttachPartition":
            _inert(st, definition.get("PartitionCmd", {}).get("bound"), "a partition bound")
    return Head("alter", None, None, None)


# Expressions PostgreSQL evaluates while running DDL (a partition bound, an added
# column's DEFAULT) may hold constants only, never a call of a function the files
# could have defined.
_INERT = frozenset(
    {
        "A_Const",
        "TypeCast",
        "TypeName",
        "String",
        "Integer",
        "Float",
        "Boolean",
        "A_ArrayExpr",
        "SQLValueFunction",
        "PartitionBoundSpec",
        "ColumnRef",
        "List",
    }
)
_SAFE_TYPES = frozenset(
    {
        "text",
        "varchar",
        "bpchar",
        "char",
        "name",
        "date",
        "time",
        "timetz",
        "timestamp",
        "timestamptz",
        "interval",
        "numeric",
        "int2",
        "int4",
        "int8",
        "float4",
        "float8",
        "bool",
        "uuid",
        "json",
        "jsonb",
        "bytea",
        "inet",
        "cidr",
        "macaddr",
        "money",
        "bit",
        "varbit",
        "oid",
    }
)


def _inert(st: Statement, expr: Any, what: str) -> None:
    for kind, body in _nodes(expr):
        ok = kind in _INERT or kind is None
        if kind == "TypeName":
            names = _names(body.get("names", []))
            ok = bool(names) and names[-1] in _SAFE_TYPES and names[0] in (names[-1], "pg_catalog")
        if not ok:
            found = _NODE_WORDS.get(kind or "", "an expression")
            raise SchemaError(
                f"{st.loc}: {what} must be a constant in a schema file "
                f"(PostgreSQL evaluates it when the statement runs); found {found}"
            )


# What a refused node is, in words (libpg_query's node names mean nothing to a user).
_NODE_WORDS = {
    "A_Expr": "an operator expression",
    "BoolExpr": "a boolean expression",
    "FuncCall": "a function call",
    "SubLink": "a subquery",
    "ColumnRef": "a column reference",
    "ParamRef": "a parameter",
    "TypeName": "a cast to a type that is not built in",
    "SQLValueFunction": "a function call",
    "CaseExpr": "a CASE expression",
    "CoalesceExpr": "a COALESCE expression",
    "MinMaxExpr": "a GREATEST or LEAST expression",
    "NullTest": "an IS NULL test",
    "RowExpr": "a row expression",
    "A_ArrayExpr": "an array expression",
    "CollateClause": "a COLLATE clause",
}


def _nodes(value: Any) -> Iterator[tuple[str | None, Any]]:
    """Every node of a parse (sub)tree: (node type, its fields)."""
    if isinstance(value, list):
        for v in value:
            yield from _nodes(v)
    elif isinstance(value, dict):
        for k, v in value.items():
            if k[:1].isupper() and isinstance(v, dict):
                yield k, v
            yield from _nodes(v)


def _names(items: Any) -> list[str]:
    return [str(i.get("String", {}).get("sval", "")) for i in items or []]


def _rel(kind: str, rel: Mapping[str, Any]) -> Head:
    return Head("create", kind, rel.get("relname"), rel.get("schemaname"))


def _named(kind: str, items: Any) -> Head:
    names = _names(items)
    return Head("create", kind, names[-1] if names else None, names[-2] if len(names) > 1 else None)


def _object_word(objtype: Any) -> str:
    return str(objtype or "").removeprefix("OBJECT_").replace("_", " ")


def _describe(st: Statement) -> str:
    if st.node in _WORDS:
        return _WORDS[st.node]
    if st.node == "DefineStmt":
        return f"CREATE {_object_word(st.tree.get('kind'))}"
    words = re.findall(r"[A-Z][a-z]*", st.node.removesuffix("Stmt"))
    return " ".join(words).upper() or _first_words(st)


def _inheritance(st: Statement, parent: Mapping[str, Any], what: str) -> SchemaError:
    """Table inheritance is not managed (a parent's change reaches its children:
    a dropped column takes theirs)."""
    name = parent.get("RangeVar", {}).get("relname", "")
    return SchemaError(
        f"{st.loc}: table inheritance ({what} {name}) is not managed by dbinit: declare "
        "every column on each table, or use a partitioned table (PARTITION BY … / "
        "PARTITION OF …)"
    )


def _option(item: Mapping[str, Any]) -> str:
    return str(item.get("DefElem", {}).get("defname", ""))


def _not_managed(st: Statement, what: str, why: str) -> SchemaError:
    return SchemaError(f"{st.loc}: {what} are not managed by dbinit: {why}")


def _typed(st: Statement, what: str) -> SchemaError:
    """Typed tables are not managed: their columns are the type's, and a change
    of the type reaches the table."""
    return SchemaError(
        f"{st.loc}: typed tables ({what}) are not managed by dbinit: declare the "
        "table's columns (CREATE TABLE name (column type, …))"
    )


def _refused(st: Statement, what: str) -> SchemaError:
    return SchemaError(
        f"{st.loc}: statement not allowed in a schema file: {what}: {_first_words(st)} "
        "(schema files are declarations: CREATE, ALTER and COMMENT ON of the managed "
        "kinds only; see docs/schema-files.md)"
    )


def _first_words(st: Statement) -> str:
    words = st.sql.split(None, 3)[:3]
    text = " ".join(words)
    return text if len(text) <= 60 else text[:57] + "..."


# -- the text the scratch space runs -------------------------------------------------

_WITH_DATA = re.compile(r"\bWITH\s+DATA\s*$", re.IGNORECASE)
_CONCURRENTLY = re.compile(r"^(CREATE\s+(?:UNIQUE\s+)?INDEX\s+)CONCURRENTLY\b", re.IGNORECASE)


def for_scratch(st: Statement, h: Head) -> Statement:
    """`st` with the text the scratch space must run: a materialized view WITH NO
    DATA (its query is never evaluated), an index without CONCURRENTLY. Each
    rewrite is checked by parsing it again: one statement, the same tree but for
    the one flag changed."""
    if st.node == "CreateTableAsStmt" and not st.tree.get("into", {}).get("skipData"):
        m = _WITH_DATA.search(st.sql)
        text = st.sql[: m.start()] + "WITH NO DATA" if m else st.sql + "\nWITH NO DATA"
        return _checked(st, text, lambda t: t.get("into", {}).get("skipData") is True, "into")
    if h.concurrently:
        m = _CONCURRENTLY.match(st.sql)
        if m is not None:
            text = st.sql[: m.end(1)] + " " * len("CONCURRENTLY") + st.sql[m.end() :]
            return _checked(st, text, lambda t: not t.get("concurrent"), "concurrent")
        raise SchemaError(f"{st.loc}: write CREATE INDEX CONCURRENTLY without comments inside")
    return st


def _unplaced(value: Any) -> Any:
    """A parse (sub)tree without its source locations."""
    if isinstance(value, list):
        return [_unplaced(v) for v in value]
    if isinstance(value, dict):
        return {k: _unplaced(v) for k, v in value.items() if k != "location"}
    return value


def _checked(st: Statement, text: str, ok: Any, changed: str) -> Statement:
    again = _parses(text.encode("utf-8")) or []
    fine = len(again) == 1 and st.node in again[0]["stmt"]
    if fine:
        tree = again[0]["stmt"][st.node]
        rest = {k: _unplaced(v) for k, v in tree.items() if k != changed}
        fine = ok(tree) and rest == {k: _unplaced(v) for k, v in st.tree.items() if k != changed}
    if not fine:
        raise SchemaError(f"{st.loc}: cannot build this statement without running it")
    return Statement(
        st.file, st.line, st.sql, st.node, st.tree, st.renamed_from, st.column_hints, text
    )
