"""The PostgreSQL schema model: one managed schema, read back from the catalogs.

Frozen dataclasses. Fields that say *what an object means* take part in
equality, in the canonical spelling the server prints (`format_type`,
`pg_get_expr`, `pg_get_constraintdef`, `pg_get_indexdef`, `pg_get_viewdef`,
`pg_get_functiondef`, `pg_get_triggerdef`), so two spellings of one
definition compare equal. Provenance and state (file and line, oids, validity
of an index or constraint, an extension's version) are `compare=False`.

Names are exact, as PostgreSQL stores them (an unquoted name was folded to lower
case by the server already). Every SQL fragment here is as the server prints it
with `search_path` set to the managed schema only: objects of the managed
schema unqualified, others qualified.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from dbinit.postgres.quote import ident as _quote

HISTORY_TABLE = "_dbinit_history"
# Names dbinit keeps for itself in the managed schema: the history table and the
# temporary objects of an online plan (an index built under a temporary name).
INTERNAL_PREFIX = "_dbinit_"


def is_internal(name: str) -> bool:
    return name.startswith(INTERNAL_PREFIX)


NAMEDATALEN = 64  # PostgreSQL keeps the first NAMEDATALEN - 1 bytes of an identifier


def truncated(name: str) -> str:
    """`name` as PostgreSQL stores it: cut to 63 bytes of UTF-8 (the managed
    encoding), never inside a character, as the server's `truncate_identifier`."""
    data = name.encode()
    if len(data) < NAMEDATALEN:
        return name
    return data[: NAMEDATALEN - 1].decode(errors="ignore")


# An object as the dependency facts name it: ("table", name), ("column", table,
# column), ("view", name), ("materialized_view", name), ("sequence", name),
# ("index", name), ("type", name), ("function", key), ("constraint", table, name),
# ("trigger", table, name), ("policy", table, name), ("collation", name),
# ("text_search_dictionary", name), ("text_search_configuration", name). A table's
# row type is its table (a composite type's relation is its type); an array type
# is its element type.
Ref = tuple[str, ...]


@dataclass(frozen=True, slots=True)
class SourceLoc:
    file: str
    line: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}"


@dataclass(frozen=True, slots=True)
class SequenceOptions:
    data_type: str  # format_type: "bigint", "integer", "smallint"
    start: int
    increment: int
    minvalue: int
    maxvalue: int
    cache: int
    cycle: bool


@dataclass(frozen=True, slots=True)
class Column:
    name: str
    type: str  # format_type(atttypid, atttypmod): "character varying(10)", "integer[]"
    notnull: bool
    default: str | None  # pg_get_expr of the default; None for none, identity, generated
    identity: str | None  # "ALWAYS", "BY DEFAULT" or None
    generated: str | None  # expression of a STORED generated column
    collation: str | None  # set only when it differs from the type's default collation
    identity_sequence: SequenceOptions | None = None  # the identity's sequence options
    # What ALTER COLUMN … SET declares beside the definition: SET STATISTICS n
    # (attstattarget; None: the default), SET (n_distinct = …) (attoptions, the
    # documented options only, sorted), SET STORAGE (attstorage, None when it is
    # the type's), SET COMPRESSION (attcompression: "pglz", "lz4"; None: the default).
    statistics: int | None = None
    options: tuple[str, ...] = ()
    storage: str | None = None  # "PLAIN", "MAIN", "EXTERNAL", "EXTENDED"
    compression: str | None = None
    # the type's own storage, read where the column's differs (to set it back)
    type_storage: str = field(default="", compare=False)
    position: int = field(default=0, compare=False)  # attnum
    renamed_from: str | None = field(default=None, compare=False)  # a rename hint
    loc: SourceLoc | None = field(default=None, compare=False)  # the column's own line
    using: str | None = field(default=None, compare=False)  # `-- dbinit: using=EXPR`


@dataclass(frozen=True, slots=True)
class Constraint:
    """PRIMARY KEY (p), UNIQUE (u), CHECK (c), FOREIGN KEY (f), EXCLUDE (x)."""

    name: str
    table: str
    type: str  # one of "p", "u", "c", "f", "x"
    definition: str  # pg_get_constraintdef, without a trailing NOT VALID
    deferrable: bool
    deferred: bool  # INITIALLY DEFERRED
    columns: tuple[str, ...] = field(default=(), compare=False)
    ref_table: str | None = field(default=None, compare=False)  # FOREIGN KEY only
    ref_columns: tuple[str, ...] = field(default=(), compare=False)
    on_update: str | None = field(default=None, compare=False)  # "NO ACTION", "CASCADE", …
    on_delete: str | None = field(default=None, compare=False)
    match: str | None = field(default=None, compare=False)  # "SIMPLE", "FULL", "PARTIAL"
    validated: bool = field(default=True, compare=False)  # False: NOT VALID
    index: str | None = field(default=None, compare=False)  # the index behind p/u/x
    # p/u: pg_get_indexdef of that index from " ON " on (method, keys, INCLUDE, NULLS
    # NOT DISTINCT, WITH, TABLESPACE), to build the same index concurrently
    index_spec: str | None = field(default=None, compare=False)

    @property
    def kind(self) -> str:
        return {"p": "PRIMARY KEY", "u": "UNIQUE", "c": "CHECK", "f": "FOREIGN KEY"}.get(
            self.type, "EXCLUDE"
        )


@dataclass(frozen=True, slots=True)
class Table:
    name: str
    columns: tuple[Column, ...]  # in attnum order
    constraints: tuple[Constraint, ...]  # sorted by name
    options: tuple[str, ...] = ()  # reloptions, e.g. "fillfactor=70"
    oid: int = field(default=0, compare=False)
    loc: SourceLoc | None = field(default=None, compare=False)
    renamed_from: str | None = field(default=None, compare=False)  # a rename hint
    unlogged: bool = False  # relpersistence 'u'
    row_security: bool = False  # relrowsecurity: ENABLE ROW LEVEL SECURITY
    force_row_security: bool = False  # relforcerowsecurity: FORCE ROW LEVEL SECURITY
    partition_key: str | None = None  # pg_get_partkeydef of a partitioned table: "RANGE (at)"
    # REPLICA IDENTITY: "DEFAULT", "NOTHING", "FULL" or "USING INDEX <quoted name>".
    replica_identity: str = "DEFAULT"
    # The parents of table inheritance (INHERITS), in order; never declared (the
    # files refuse INHERITS), so a live one is drift that no plan changes.
    inherits: tuple[str, ...] = ()
    # The composite type of a typed table (CREATE TABLE … OF type); never declared
    # (the files refuse typed tables), so a live one is drift that NOT OF ends.
    of_type: str | None = None
    # The index the table is clustered on (CLUSTER ON; pg_index.indisclustered).
    clustered_on: str | None = None

    def column(self, name: str) -> Column | None:
        for col in self.columns:
            if col.name == name:
                return col
        return None

    def constraint(self, name: str) -> Constraint | None:
        for con in self.constraints:
            if con.name == name:
                return con
        return None


def merged_keys(table: Table) -> frozenset[str]:
    """The UNIQUE / PRIMARY KEY constraints of `table` that one CREATE TABLE could
    not hold: PostgreSQL keeps one index per set of equal key definitions there
    (the PRIMARY KEY first) and silently drops the others, name and all. They
    have to be added by ALTER TABLE … ADD CONSTRAINT after the table is created."""
    seen: set[tuple[str, bool, bool]] = set()
    out: set[str] = set()
    keys = sorted(
        (k for k in table.constraints if k.type in ("p", "u")), key=lambda k: k.type != "p"
    )
    for k in keys:
        spec = k.index_spec or k.definition.removeprefix(k.kind).strip()
        ident = (spec, k.deferrable, k.deferred)
        if ident in seen:
            out.add(k.name)
        seen.add(ident)
    return frozenset(out)


@dataclass(frozen=True, slots=True)
class Index:
    """An index not behind a constraint (those belong to their `Constraint`)."""

    name: str
    table: str  # the table or materialized view it is on
    unique: bool
    spec: str  # pg_get_indexdef from " ON " on: table, method, keys, INCLUDE, WHERE
    definition: str = field(compare=False)  # the full pg_get_indexdef
    method: str = field(default="btree", compare=False)
    predicate: str | None = field(default=None, compare=False)  # a partial index's WHERE
    # ALTER INDEX … ALTER COLUMN n SET STATISTICS t of its expression columns:
    # (n, t) where t is not the default, by column number
    statistics: tuple[tuple[int, int], ...] = ()
    valid: bool = field(default=True, compare=False)  # pg_index.indisvalid
    oid: int = field(default=0, compare=False)
    loc: SourceLoc | None = field(default=None, compare=False)
    # Each key column or expression as the server prints it alone (no opclass,
    # collation or ordering), and NULLS NOT DISTINCT: what counts a unique
    # index's duplicates before it is built (facts, in `spec` already).
    keys: tuple[str, ...] = field(default=(), compare=False)
    nulls_not_distinct: bool = field(default=False, compare=False)


@dataclass(frozen=True, slots=True)
class Sequence:
    """A sequence of its own or owned by a column (serial); not an identity's."""

    name: str
    options: SequenceOptions
    owned_by: tuple[str, str] | None  # (table, column) of OWNED BY
    unlogged: bool = False  # relpersistence 'u' (CREATE UNLOGGED SEQUENCE)
    oid: int = field(default=0, compare=False)
    loc: SourceLoc | None = field(default=None, compare=False)


@dataclass(frozen=True, slots=True)
class SequenceBehind:
    """State, not definition: an identity or serial sequence whose next value is
    already in its column (rows copied in with their own ids), so the next insert
    that takes a value from it fails with a duplicate key."""

    sequence: str
    table: str
    column: str
    next_value: int  # what nextval() would return
    column_edge: int  # max of the column (min for a descending sequence)
    increment: int


@dataclass(frozen=True, slots=True)
class EnumType:
    name: str
    labels: tuple[str, ...]  # in sort order
    oid: int = field(default=0, compare=False)
    loc: SourceLoc | None = field(default=None, compare=False)


@dataclass(frozen=True, slots=True)
class DomainCheck:
    name: str
    definition: str  # pg_get_constraintdef, without NOT VALID
    validated: bool = field(default=True, compare=False)


@dataclass(frozen=True, slots=True)
class Domain:
    name: str
    base_type: str  # format_type(typbasetype, typtypmod)
    notnull: bool
    default: str | None
    collation: str | None
    checks: tuple[DomainCheck, ...]  # sorted by name
    oid: int = field(default=0, compare=False)
    loc: SourceLoc | None = field(default=None, compare=False)


@dataclass(frozen=True, slots=True)
class TypeAttribute:
    name: str
    type: str  # format_type(atttypid, atttypmod)
    collation: str | None  # set only when it differs from the type's default collation

    def sql(self) -> str:
        """`name type [COLLATE c]`, as CREATE TYPE and ADD ATTRIBUTE take it."""
        return f"{_quote(self.name)} {self.type}" + (
            f" COLLATE {self.collation}" if self.collation else ""
        )


@dataclass(frozen=True, slots=True)
class CompositeType:
    """CREATE TYPE name AS (attribute type [COLLATE c], …): its attributes in order."""

    name: str
    attributes: tuple[TypeAttribute, ...]
    oid: int = field(default=0, compare=False)
    loc: SourceLoc | None = field(default=None, compare=False)

    def attribute(self, name: str) -> TypeAttribute | None:
        return next((a for a in self.attributes if a.name == name), None)

    def sql(self, name: str) -> list[str]:
        """CREATE TYPE, the type's name as the statement writes it."""
        return [f"CREATE TYPE {name} AS ({', '.join(a.sql() for a in self.attributes)})"]


@dataclass(frozen=True, slots=True)
class RangeType:
    """CREATE TYPE name AS RANGE (options): the options as built from pg_range
    ("subtype = double precision, subtype_diff = float8mi, multirange_type_name =
    floatmultirange"). Its multirange type and constructors are part of it."""

    name: str
    options: str
    oid: int = field(default=0, compare=False)
    loc: SourceLoc | None = field(default=None, compare=False)

    def sql(self, name: str) -> list[str]:
        """CREATE TYPE, the type's name as the statement writes it."""
        return [f"CREATE TYPE {name} AS RANGE ({self.options})"]


@dataclass(frozen=True, slots=True)
class Collation:
    """CREATE COLLATION name (options): the options as built from pg_collation
    ("provider = icu, locale = 'und-u-ks-level2', deterministic = false")."""

    name: str
    options: str
    oid: int = field(default=0, compare=False)
    loc: SourceLoc | None = field(default=None, compare=False)

    def sql(self, name: str) -> list[str]:
        return [f"CREATE COLLATION {name} ({self.options})"]


@dataclass(frozen=True, slots=True)
class TextSearchDictionary:
    """CREATE TEXT SEARCH DICTIONARY name (TEMPLATE = t, options…)."""

    name: str
    template: str  # the template, qualified unless in the managed schema
    options: str  # pg_ts_dict.dictinitoption ("language = 'english', stopwords = 'english'")
    oid: int = field(default=0, compare=False)
    loc: SourceLoc | None = field(default=None, compare=False)

    def sql(self, name: str) -> list[str]:
        options = f", {self.options}" if self.options else ""
        return [f"CREATE TEXT SEARCH DICTIONARY {name} (TEMPLATE = {self.template}{options})"]


@dataclass(frozen=True, slots=True)
class TextSearchConfiguration:
    """CREATE TEXT SEARCH CONFIGURATION name (PARSER = p) and its mappings, as
    (token type, dictionaries in order) sorted by token type."""

    name: str
    parser: str
    mappings: tuple[tuple[str, tuple[str, ...]], ...]
    oid: int = field(default=0, compare=False)
    loc: SourceLoc | None = field(default=None, compare=False)

    def sql(self, name: str) -> list[str]:
        """CREATE, then one ADD MAPPING per list of dictionaries."""
        out = [f"CREATE TEXT SEARCH CONFIGURATION {name} (PARSER = {self.parser})"]
        groups: dict[tuple[str, ...], list[str]] = {}
        for token, dicts in self.mappings:
            groups.setdefault(dicts, []).append(token)
        for dicts, tokens in groups.items():
            out.append(
                f"ALTER TEXT SEARCH CONFIGURATION {name} ADD MAPPING FOR "
                f"{', '.join(_quote(t) for t in tokens)} WITH {', '.join(dicts)}"
            )
        return out


@dataclass(frozen=True, slots=True)
class View:
    name: str
    definition: str  # pg_get_viewdef(oid, true)
    options: tuple[str, ...] = ()  # reloptions: check_option, security_barrier, …
    # ALTER VIEW … ALTER COLUMN c SET DEFAULT e: (column, pg_get_expr), by column number
    defaults: tuple[tuple[str, str], ...] = ()
    oid: int = field(default=0, compare=False)
    loc: SourceLoc | None = field(default=None, compare=False)


@dataclass(frozen=True, slots=True)
class MaterializedView:
    name: str
    definition: str  # pg_get_viewdef(oid, true)
    options: tuple[str, ...] = ()
    # The columns whose statistics target, options, storage or compression were
    # set (ALTER … ALTER COLUMN … SET), by column number; the others are not kept.
    columns: tuple[Column, ...] = ()
    clustered_on: str | None = None  # CLUSTER ON (pg_index.indisclustered)
    populated: bool = field(default=True, compare=False)
    oid: int = field(default=0, compare=False)
    loc: SourceLoc | None = field(default=None, compare=False)


@dataclass(frozen=True, slots=True)
class Function:
    """A function or procedure, keyed by `name(identity arguments)`."""

    name: str
    arguments: str  # pg_get_function_identity_arguments
    kind: str  # "function", "procedure" or "aggregate"
    # pg_get_functiondef: the whole CREATE OR REPLACE statement (for an aggregate,
    # a CREATE OR REPLACE AGGREGATE built from pg_aggregate)
    definition: str
    oid: int = field(default=0, compare=False)
    loc: SourceLoc | None = field(default=None, compare=False)
    returns: str = field(default="", compare=False)  # pg_get_function_result
    signature: str = field(default="", compare=False)  # regprocedure: name(input types)

    @property
    def key(self) -> str:
        return f"{self.name}({self.arguments})"


@dataclass(frozen=True, slots=True)
class Trigger:
    name: str
    table: str
    definition: str  # pg_get_triggerdef(oid, true)
    enabled: str = "O"  # tgenabled: O origin, D disabled, R replica, A always
    oid: int = field(default=0, compare=False)
    loc: SourceLoc | None = field(default=None, compare=False)


@dataclass(frozen=True, slots=True)
class Extension:
    name: str
    schema: str  # the schema its objects live in
    version: str = field(compare=False)  # upgrading an extension is not schema drift
    oid: int = field(default=0, compare=False)
    loc: SourceLoc | None = field(default=None, compare=False)
    # The version the files pin (`CREATE EXTENSION … VERSION '…'`): then, and only
    # then, the live version must be that one.
    pinned: str | None = field(default=None, compare=False)


@dataclass(frozen=True, slots=True)
class Comment:
    """COMMENT ON <object_type> <identity> IS <text> (pg_identify_object's terms)."""

    object_type: str  # "table", "table column", "index", "function", "type", …
    identity: str  # e.g. "public.users.email"
    text: str


@dataclass(frozen=True, slots=True)
class Policy:
    """A row-level security policy (pg_policy), keyed by `(table, name)`."""

    name: str
    table: str
    permissive: bool
    command: str  # ALL, SELECT, INSERT, UPDATE, DELETE
    roles: tuple[str, ...]  # sorted; ("public",) for PUBLIC
    using: str | None  # pg_get_expr of USING
    check: str | None  # pg_get_expr of WITH CHECK
    oid: int = field(default=0, compare=False)
    loc: SourceLoc | None = field(default=None, compare=False)

    def sql(self, table: str) -> str:
        """CREATE POLICY on `table` (the table's name as the statement writes it)."""
        roles = ", ".join("PUBLIC" if r == "public" else _quote(r) for r in self.roles)
        text = (
            f"CREATE POLICY {_quote(self.name)} ON {table} "
            f"AS {'PERMISSIVE' if self.permissive else 'RESTRICTIVE'} "
            f"FOR {self.command} TO {roles or 'PUBLIC'}"
        )
        if self.using is not None:
            text += f" USING ({self.using})"
        if self.check is not None:
            text += f" WITH CHECK ({self.check})"
        return text


@dataclass(frozen=True, slots=True)
class Partition:
    """A partition of a partitioned table of the managed schema. Its columns,
    constraints and indexes are the parent's (cloned by the server), so its place
    is compared (the parent and the bound) and what a partition holds of its own:
    storage options, row-level security, replica identity, CLUSTER ON, and its
    columns' settings (statistics, options, storage, compression)."""

    name: str
    parent: str
    bound: str  # pg_get_expr(relpartbound): "FOR VALUES FROM (...) TO (...)", "DEFAULT"
    partition_key: str | None = None  # a partition that is partitioned in turn
    unlogged: bool = False
    options: tuple[str, ...] = ()  # reloptions
    row_security: bool = False
    force_row_security: bool = False
    replica_identity: str = "DEFAULT"  # as Table.replica_identity
    clustered_on: str | None = None
    # the columns whose settings were set (as MaterializedView.columns)
    columns: tuple[Column, ...] = ()
    oid: int = field(default=0, compare=False)
    loc: SourceLoc | None = field(default=None, compare=False)


@dataclass(frozen=True, slots=True)
class Unmanaged:
    """An object outside the managed kinds: listed, never diffed or touched."""

    kind: str  # policy, grant, partition, partitioned_table, publication, rule, …
    name: str
    detail: str = ""


@dataclass(frozen=True, slots=True)
class Schema:
    """Every managed object of one PostgreSQL schema, keyed by name.

    Keys: tables, indexes, sequences, types (enums, domains, composite and range types share
    PostgreSQL's type namespace), views, materialized views: the name; functions:
    `name(identity arguments)`; triggers and policies: `(table, name)`; extensions
    and partitions: the name; comments: `(object_type, identity)`.
    """

    schema: str = field(compare=False)
    tables: dict[str, Table] = field(default_factory=dict)
    indexes: dict[str, Index] = field(default_factory=dict)
    sequences: dict[str, Sequence] = field(default_factory=dict)
    types: dict[str, EnumType | Domain | CompositeType | RangeType] = field(default_factory=dict)
    collations: dict[str, Collation] = field(default_factory=dict)
    # text-search dictionaries and configurations, each keyed by name
    ts_dictionaries: dict[str, TextSearchDictionary] = field(default_factory=dict)
    ts_configurations: dict[str, TextSearchConfiguration] = field(default_factory=dict)
    views: dict[str, View] = field(default_factory=dict)
    materialized_views: dict[str, MaterializedView] = field(default_factory=dict)
    functions: dict[str, Function] = field(default_factory=dict)
    triggers: dict[tuple[str, str], Trigger] = field(default_factory=dict)
    extensions: dict[str, Extension] = field(default_factory=dict)
    comments: dict[tuple[str, str], Comment] = field(default_factory=dict)
    policies: dict[tuple[str, str], Policy] = field(default_factory=dict)
    partitions: dict[str, Partition] = field(default_factory=dict)
    unmanaged: tuple[Unmanaged, ...] = field(default=(), compare=False)
    # dbinit's own temporary objects found in the schema (e.g. an index an online
    # step built under a `_dbinit_` name and a killed run left behind): never
    # part of the diff, for the planner to drop.
    leftovers: tuple[Index, ...] = field(default=(), compare=False)
    # Triggers and rules on dbinit's history table, as (kind, name): they would run
    # inside dbinit's own transaction when it records a run. Drift, never planned.
    history_hooks: tuple[tuple[str, str], ...] = field(default=(), compare=False)
    # What each object needs, as PostgreSQL records it (pg_depend, normal and auto
    # dependencies between objects of the managed schema): the planner creates an
    # object after what it needs, and drops and creates again what depends on an
    # object it must drop. Facts, not meaning: never part of equality.
    depends: dict[Ref, tuple[Ref, ...]] = field(default_factory=dict, compare=False)

    def dependants(self, ref: Ref) -> list[Ref]:
        """The objects that depend on `ref` directly, sorted."""
        return sorted(k for k, needs in self.depends.items() if ref in needs)

    # The second printing of a definition, where creating it again from the
    # server's printed text prints it differently (`reprint.round_trip`): keyed
    # by `reprint.key_*`; set on the desired model only.
    reprinted: dict[tuple[str, ...], str] = field(default_factory=dict, compare=False)
    # Identity and serial sequences behind their column's values (state: drift that
    # `init` fixes with setval, never part of the definitions compared).
    behind: tuple[SequenceBehind, ...] = field(default=(), compare=False)

    def constraints(self) -> Iterator[Constraint]:
        for table in self.tables.values():
            yield from table.constraints

    @property
    def invalid_indexes(self) -> tuple[Index, ...]:
        """Indexes with pg_index.indisvalid false (a failed or killed concurrent build)."""
        return tuple(i for i in self.indexes.values() if not i.valid)

    @property
    def not_valid_constraints(self) -> tuple[Constraint, ...]:
        """Constraints added NOT VALID and not validated since (table and domain)."""
        return tuple(c for c in self.constraints() if not c.validated)

    @property
    def not_valid_domain_checks(self) -> tuple[tuple[str, DomainCheck], ...]:
        return tuple(
            (t.name, c)
            for t in self.types.values()
            if isinstance(t, Domain)
            for c in t.checks
            if not c.validated
        )

    def is_empty(self) -> bool:
        return self.object_count() == 0

    def object_count(self) -> int:
        return (
            len(self.tables)
            + len(self.indexes)
            + len(self.sequences)
            + len(self.types)
            + len(self.views)
            + len(self.materialized_views)
            + len(self.functions)
            + len(self.triggers)
            + len(self.extensions)
            + len(self.policies)
            + len(self.partitions)
            + len(self.collations)
            + len(self.ts_dictionaries)
            + len(self.ts_configurations)
        )
