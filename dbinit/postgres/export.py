"""Live PostgreSQL schema → schema files (`dbinit inspect`) that round-trip.

`export(schema)` renders the model read by `introspect` as numbered SQL files
whose lexical order respects dependencies:

    000_extensions, collations and text search (dictionaries, then
    configurations), types (enums, domains, then composite types), sequences,
    003_functions (those tables need, or that need no relation),
    one file per table (its columns, constraints, the OWNED BY of its
    sequences, indexes, triggers and comments), in foreign-key order,
    foreign_keys (only the foreign keys of a reference cycle),
    views (views, materialized views with their indexes and triggers, and the
    functions that read relations, ordered by reference).

Running the files through `scratch.build_desired` gives a `Schema` equal to the
one exported. The SQL is the server's own canonical text wherever the model
keeps it (constraint, index, trigger, view and function definitions, types and
expressions). Objects the model does not manage (`Schema.unmanaged`) are not
exported. This module never touches a database.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeVar

from dbinit.postgres.ddl import column_settings, index_statistics_sql
from dbinit.postgres.model import (
    Collation,
    Column,
    Comment,
    CompositeType,
    Constraint,
    Domain,
    EnumType,
    Function,
    MaterializedView,
    Partition,
    RangeType,
    Schema,
    SequenceOptions,
    Table,
    TextSearchConfiguration,
    TextSearchDictionary,
    Trigger,
    View,
    merged_keys,
)
from dbinit.postgres.model import Sequence as PgSequence
from dbinit.postgres.quote import ident as quote_always
from dbinit.postgres.quote import literal as quote_literal
from dbinit.postgres.quote import printed as quote_ident

T = TypeVar("T")
Files = dict[str, tuple[list[str], str]]  # file name -> (object names, SQL text)

_ENABLE = {"D": "DISABLE TRIGGER", "R": "ENABLE REPLICA TRIGGER", "A": "ENABLE ALWAYS TRIGGER"}
_STEM_MAX = 60


def export(schema: Schema) -> Files:
    """The schema files for `schema`, keyed by file name (sorted = run order)."""
    return _Exporter(schema).files()


class _Exporter:
    def __init__(self, schema: Schema) -> None:
        self.s = schema
        self.parts: list[tuple[str, list[str], list[str]]] = []  # (stem, names, statements)
        self.comment_home: dict[tuple[str, str], int] = {}  # (kind, name) -> part index

    # -- assembly ---------------------------------------------------------

    def files(self) -> Files:
        s = self.s
        early, late = self._split_functions()
        self._part("extensions", [(e.name, self._extension(e.name)) for e in _vals(s.extensions)])
        self._collations_and_text_search()
        self._types()
        self._part(
            "sequences", [(q.name, self._sequence(q)) for q in _vals(s.sequences)], "sequence"
        )
        self._functions("functions", early)
        deferred = self._tables()
        if deferred:
            self._part(
                "foreign_keys",
                [(c.name, self._add_constraint(c)) for c in deferred],
            )
        self._views(late)
        self._comments()
        return self._render()

    def _part(
        self, stem: str, items: Sequence[tuple[str, str]], home: str | None = None
    ) -> int | None:
        if not items:
            return None
        self.parts.append((stem, [n for n, _ in items], [sql for _, sql in items]))
        index = len(self.parts) - 1
        if home is not None:
            for name, _ in items:
                self.comment_home[(home, name)] = index
        return index

    def _render(self) -> Files:
        width = max(3, len(str(len(self.parts))))
        out: Files = {}
        for n, (stem, names, statements) in enumerate(self.parts, start=1):
            text = "\n\n".join(st.strip() + ";" for st in statements) + "\n"
            out[_file_name(n, width, stem)] = (names, text)
        return out

    # -- extensions, types, sequences, functions ---------------------------

    def _extension(self, name: str) -> str:
        e = self.s.extensions[name]
        home = f" WITH SCHEMA {quote_ident(e.schema)}" if e.schema != self.s.schema else ""
        return f"CREATE EXTENSION IF NOT EXISTS {quote_ident(name)}{home}"

    def _types(self) -> None:
        enums = [t for t in _vals(self.s.types) if isinstance(t, EnumType)]
        domains = [t for t in _vals(self.s.types) if isinstance(t, Domain)]
        ordered = _topo(domains, lambda d: d.name, lambda d: _domain_text(d))
        items: list[tuple[str, str]] = [(e.name, self._enum(e)) for e in enums]
        for d in ordered:
            items.append((d.name, self._domain(d)))
            for c in d.checks:
                if not c.validated:
                    items.append(
                        (
                            d.name,
                            f"ALTER DOMAIN {quote_ident(d.name)} ADD CONSTRAINT "
                            f"{quote_ident(c.name)} {c.definition} NOT VALID",
                        )
                    )
        for rt in _vals(self.s.types):  # over a domain, under a composite type
            if isinstance(rt, RangeType):
                items.append((rt.name, rt.sql(quote_ident(rt.name))[0]))
        composites = [t for t in _vals(self.s.types) if isinstance(t, CompositeType)]
        for ct in _topo(composites, lambda t: t.name, lambda t: " ".join(t.sql(""))):
            items.append((ct.name, ct.sql(quote_ident(ct.name))[0]))
        index = self._part("types", items)
        if index is not None:  # one name per type, though a type may take two statements
            stem, names, statements = self.parts[index]
            self.parts[index] = (stem, list(dict.fromkeys(names)), statements)
        if index is not None:
            for t in _vals(self.s.types):
                self.comment_home[("type", t.name)] = index

    def _collations_and_text_search(self) -> None:
        objects: list[Collation | TextSearchDictionary | TextSearchConfiguration] = [
            *_vals(self.s.collations),
            *_vals(self.s.ts_dictionaries),
            *_vals(self.s.ts_configurations),
        ]
        items = [(o.name, text) for o in objects for text in o.sql(quote_ident(o.name))]
        index = self._part("collations_text_search", items)
        if index is not None:  # one name per object, though a configuration takes several
            stem, names, statements = self.parts[index]
            self.parts[index] = (stem, list(dict.fromkeys(names)), statements)

    def _enum(self, e: EnumType) -> str:
        labels = ", ".join(quote_literal(label) for label in e.labels)
        return f"CREATE TYPE {quote_ident(e.name)} AS ENUM ({labels})"

    def _domain(self, d: Domain) -> str:
        sql = f"CREATE DOMAIN {quote_ident(d.name)} AS {d.base_type}"
        if d.collation is not None:
            sql += f" COLLATE {d.collation}"
        if d.default is not None:
            sql += f" DEFAULT {d.default}"
        if d.notnull:
            sql += " NOT NULL"
        for c in d.checks:
            if c.validated:
                sql += f"\n    CONSTRAINT {quote_ident(c.name)} {c.definition}"
        return sql

    def _sequence(self, q: PgSequence) -> str:
        unlogged = "UNLOGGED " if q.unlogged else ""
        return f"CREATE {unlogged}SEQUENCE {quote_ident(q.name)}" + _sequence_options(
            q.options, "bigint"
        )

    def _split_functions(self) -> tuple[list[Function], list[Function]]:
        """Functions needed by tables (defaults, checks, indexes, triggers) or
        reading no relation come before the tables; the others after them."""
        s = self.s
        table_text = "\n".join(
            [_table_text(t) for t in s.tables.values()]
            + [i.spec for i in s.indexes.values()]
            + [tr.definition for tr in s.triggers.values()]
            + [_domain_text(d) for d in s.types.values() if isinstance(d, Domain)]
        )
        relations = [*s.tables, *s.views, *s.materialized_views]
        early: list[Function] = []
        late: list[Function] = []
        for fn in _vals(s.functions):
            needed = _mentions(table_text, fn.name)
            reads = any(_mentions(fn.definition, r) for r in relations)
            (late if reads and not needed else early).append(fn)
        return early, late

    def _functions(self, stem: str, functions: list[Function]) -> None:
        ordered = _topo(functions, lambda f: f.name, lambda f: f.definition)
        index = self._part(stem, [(f.key, f.definition) for f in ordered])
        if index is not None:
            for f in ordered:
                self.comment_home[(f.kind, f.name)] = index

    # -- tables ---------------------------------------------------------

    def _tables(self) -> list[Constraint]:
        """One file per table in foreign-key order; returns the foreign keys
        that point at a table created later (a reference cycle)."""
        tables = self.s.tables
        order = _topo(
            list(_vals(tables)),
            lambda t: t.name,
            lambda t: "",
            deps=lambda t: {
                c.ref_table
                for c in t.constraints
                if c.type == "f" and c.ref_table in tables and c.ref_table != t.name
            },
        )
        placed: set[str] = set()
        deferred: list[Constraint] = []
        for table in order:
            placed.add(table.name)
            later = [
                c
                for c in table.constraints
                if c.type == "f" and c.ref_table in tables and c.ref_table not in placed
            ]
            deferred += later
            self._table_file(table, {c.name for c in later})
        return deferred

    def _table_file(self, table: Table, skip: set[str]) -> None:
        s = self.s
        merged = merged_keys(table)  # keys one CREATE TABLE cannot hold beside another
        items: list[tuple[str, str]] = [(table.name, self._create_table(table, skip | merged))]
        for c in table.constraints:
            if (not c.validated or c.name in merged) and c.name not in skip:
                items.append((c.name, self._add_constraint(c)))
        for q in _vals(s.sequences):
            if q.owned_by is not None and q.owned_by[0] == table.name:
                items.append(
                    (
                        q.name,
                        f"ALTER SEQUENCE {quote_ident(q.name)} OWNED BY "
                        f"{quote_ident(table.name)}.{quote_ident(q.owned_by[1])}",
                    )
                )
        at = f"ALTER TABLE {quote_ident(table.name)}"
        for col in table.columns:  # statistics, options, storage, compression
            clauses = column_settings(col)
            if clauses:
                alter = f"ALTER COLUMN {quote_ident(col.name)}"
                only = f"ALTER TABLE ONLY {quote_ident(table.name)}"
                items.append((table.name, f"{only} {', '.join(f'{alter} {c}' for c in clauses)}"))
        if table.row_security:
            items.append((table.name, f"{at} ENABLE ROW LEVEL SECURITY"))
        if table.force_row_security:
            items.append((table.name, f"{at} FORCE ROW LEVEL SECURITY"))
        names = [table.name]
        parts = self._partitions_of(table.name)
        late: list[tuple[str, str]] = []  # on the partitions' indexes (cloned): after those
        for p in parts:
            unlogged = "UNLOGGED " if p.unlogged else ""
            by = f" PARTITION BY {p.partition_key}" if p.partition_key else ""
            with_ = f" WITH ({', '.join(p.options)})" if p.options else ""
            items.append(
                (
                    p.name,
                    f"CREATE {unlogged}TABLE {quote_ident(p.name)} PARTITION OF "
                    f"{quote_ident(p.parent)} {p.bound}{by}{with_}",
                )
            )
            names.append(p.name)
            pat = f"ALTER TABLE {quote_ident(p.name)}"
            if p.row_security:
                items.append((p.name, f"{pat} ENABLE ROW LEVEL SECURITY"))
            if p.force_row_security:
                items.append((p.name, f"{pat} FORCE ROW LEVEL SECURITY"))
            for col in p.columns:
                alter = f"ALTER COLUMN {quote_ident(col.name)}"
                text = ", ".join(f"{alter} {c}" for c in column_settings(col))
                items.append((p.name, f"ALTER TABLE ONLY {quote_ident(p.name)} {text}"))
            if p.replica_identity != "DEFAULT":
                late.append((p.name, f"{pat} REPLICA IDENTITY {p.replica_identity}"))
            if p.clustered_on is not None:
                late.append((p.name, f"{pat} CLUSTER ON {quote_ident(p.clustered_on)}"))
        homes = {table.name, *(p.name for p in parts)}  # a partition's policies too
        for pol in _vals(s.policies):
            if pol.table in homes:
                items.append((pol.name, pol.sql(quote_ident(pol.table))))
        for i in _vals(s.indexes):
            if i.table == table.name:
                items.append((i.name, i.definition))
                items += [(i.name, st.sql) for st in index_statistics_sql(quote_ident(i.name), i)]
                names.append(i.name)
        for tr in _vals(s.triggers):
            if tr.table == table.name:
                items += [(tr.name, sql) for sql in _trigger(tr)]
                names.append(tr.name)
        if table.replica_identity != "DEFAULT":
            items.append((table.name, f"{at} REPLICA IDENTITY {table.replica_identity}"))
        items += late
        if table.clustered_on is not None:  # after its indexes
            items.append((table.name, f"{at} CLUSTER ON {quote_ident(table.clustered_on)}"))
        index = self._part(_stem(table.name), items)
        assert index is not None
        self.parts[index] = (self.parts[index][0], names, self.parts[index][2])
        self._home_relation(index, "table", table.name)

    def _partitions_of(self, parent: str) -> list[Partition]:
        """The partitions under `parent`, each after its own parent (sub-partitions)."""
        out: list[Partition] = []
        for p in sorted(self.s.partitions.values(), key=lambda p: p.name):
            if p.parent == parent:
                out.append(p)
                out += self._partitions_of(p.name)
        return out

    def _create_table(self, table: Table, skip: set[str]) -> str:
        lines = [_column(c) for c in table.columns]
        for c in table.constraints:
            if c.validated and c.name not in skip:
                lines.append(f"CONSTRAINT {quote_ident(c.name)} {c.definition}")
        body = ",\n    ".join(lines)
        create = f"CREATE {'UNLOGGED ' if table.unlogged else ''}TABLE"
        sql = (
            f"{create} {quote_ident(table.name)} (\n    {body}\n)"
            if lines
            else (f"{create} {quote_ident(table.name)} ()")
        )
        if table.partition_key:
            sql += f" PARTITION BY {table.partition_key}"
        if table.options:
            sql += f" WITH ({', '.join(table.options)})"
        return sql

    def _add_constraint(self, c: Constraint) -> str:
        sql = f"ALTER TABLE {quote_ident(c.table)} ADD CONSTRAINT {quote_ident(c.name)} "
        return sql + c.definition + ("" if c.validated else " NOT VALID")

    def _home_relation(self, index: int, kind: str, name: str) -> None:
        self.comment_home[(kind, name)] = index

    # -- views, materialized views, functions that read relations -------

    def _views(self, late: list[Function]) -> None:
        s = self.s
        nodes: list[View | MaterializedView | Function] = [
            *_vals(s.views),
            *_vals(s.materialized_views),
            *late,
        ]
        ordered = _topo(
            nodes,
            lambda n: n.name,
            lambda n: n.definition,
        )
        items: list[tuple[str, str]] = []
        names: list[str] = []
        for node in ordered:
            if isinstance(node, Function):
                items.append((node.key, node.definition))
                names.append(node.key)
                continue
            items.append((node.name, _create_view(node)))
            names.append(node.name)
            items += [(node.name, sql) for sql in _view_settings(node)]
            for i in _vals(s.indexes):
                if i.table == node.name:
                    items.append((i.name, i.definition))
                    items += [
                        (i.name, st.sql) for st in index_statistics_sql(quote_ident(i.name), i)
                    ]
                    names.append(i.name)
            if isinstance(node, MaterializedView) and node.clustered_on is not None:
                at = f"ALTER MATERIALIZED VIEW {quote_ident(node.name)}"
                items.append((node.name, f"{at} CLUSTER ON {quote_ident(node.clustered_on)}"))
            for tr in _vals(s.triggers):
                if tr.table == node.name:
                    items += [(tr.name, sql) for sql in _trigger(tr)]
                    names.append(tr.name)
        index = self._part("views", items)
        if index is None:
            return
        self.parts[index] = (self.parts[index][0], names, self.parts[index][2])
        for node in ordered:
            if isinstance(node, Function):
                self.comment_home[(node.kind, node.name)] = index
            elif isinstance(node, View):
                self._home_relation(index, "view", node.name)
            else:
                self._home_relation(index, "materialized view", node.name)

    # -- comments -------------------------------------------------------

    def _comments(self) -> None:
        """Each comment in the file of its object (the last file when unplaced)."""
        by_part: dict[int, list[str]] = {}
        for c in _vals(self.s.comments):
            home = self._comment_home(c)
            by_part.setdefault(home, []).append(_comment(c))
        for index, statements in by_part.items():
            stem, names, body = self.parts[index]
            self.parts[index] = (stem, names, body + statements)

    def _comment_home(self, c: Comment) -> int:
        kind = c.object_type
        if kind in ("table constraint", "trigger", "domain constraint"):
            target = _unqualify(_split_on(c.identity)[1])
        else:
            parts = _split_ident(c.identity.split("(", 1)[0])
            target = parts[-2] if kind.endswith(" column") and len(parts) >= 2 else parts[-1]
        if kind in ("domain", "type", "domain constraint"):
            kind = "type"
        elif kind == "index" and target in self.s.indexes:
            target, kind = self.s.indexes[target].table, "table"
        elif kind in ("trigger", "table constraint") or kind.endswith(" column"):
            kind = "table"
        home = self.comment_home.get((kind, target))
        if home is None and kind == "table":  # or a view, a materialized view
            for k in ("view", "materialized view"):
                home = self.comment_home.get((k, target), home)
        return len(self.parts) - 1 if home is None else home


# -- rendering helpers --------------------------------------------------------


def _column(c: Column) -> str:
    sql = f"{quote_ident(c.name)} {c.type}"
    if c.collation is not None:
        sql += f" COLLATE {c.collation}"
    if c.generated is not None:
        sql += f" GENERATED ALWAYS AS ({c.generated}) STORED"
    elif c.identity is not None:
        sql += f" GENERATED {c.identity} AS IDENTITY"
        if c.identity_sequence is not None:
            opts = _sequence_options(c.identity_sequence, c.type)
            sql += f" ({opts.strip()})" if opts else ""
    elif c.default is not None:
        sql += f" DEFAULT {c.default}"
    if c.notnull:
        sql += " NOT NULL"
    return sql


_TYPE_RANGE = {
    "smallint": (-(2**15), 2**15 - 1),
    "integer": (-(2**31), 2**31 - 1),
    "bigint": (-(2**63), 2**63 - 1),
}


def _sequence_options(o: SequenceOptions, implied_type: str) -> str:
    """The options PostgreSQL would not pick by itself (`CREATE SEQUENCE`'s
    defaults for the type: `START WITH 1 INCREMENT BY 1 …` goes unsaid)."""
    low, high = _TYPE_RANGE.get(o.data_type, _TYPE_RANGE["bigint"])
    up = o.increment > 0
    sql = f" AS {o.data_type}" if o.data_type != implied_type else ""
    if o.start != (o.minvalue if up else o.maxvalue):
        sql += f" START WITH {o.start}"
    if o.increment != 1:
        sql += f" INCREMENT BY {o.increment}"
    if o.minvalue != (1 if up else low):
        sql += f" MINVALUE {o.minvalue}"
    if o.maxvalue != (high if up else -1):
        sql += f" MAXVALUE {o.maxvalue}"
    if o.cache != 1:
        sql += f" CACHE {o.cache}"
    return sql + (" CYCLE" if o.cycle else "")


def _trigger(tr: Trigger) -> list[str]:
    out = [tr.definition]
    if tr.enabled in _ENABLE:
        out.append(
            f"ALTER TABLE {quote_ident(tr.table)} {_ENABLE[tr.enabled]} {quote_ident(tr.name)}"
        )
    return out


def _create_view(v: View | MaterializedView) -> str:
    kind = "VIEW" if isinstance(v, View) else "MATERIALIZED VIEW"
    sql = f"CREATE {kind} {quote_ident(v.name)}"
    if v.options:
        sql += f" WITH ({', '.join(v.options)})"
    sql += " AS\n" + v.definition.strip().rstrip(";").rstrip()
    if isinstance(v, MaterializedView) and not v.populated:
        sql += "\nWITH NO DATA"
    return sql


def _view_settings(v: View | MaterializedView) -> list[str]:
    """A view's column defaults; a materialized view's column settings."""
    if isinstance(v, View):
        at = f"ALTER VIEW {quote_ident(v.name)}"
        return [f"{at} ALTER COLUMN {quote_ident(c)} SET DEFAULT {e}" for c, e in v.defaults]
    at = f"ALTER MATERIALIZED VIEW {quote_ident(v.name)}"
    return [
        f"{at} " + ", ".join(f"ALTER COLUMN {quote_ident(c.name)} {x}" for x in column_settings(c))
        for c in v.columns
    ]


_COMMENT_KINDS = {
    "table column": "COLUMN",
    "view column": "COLUMN",
    "materialized view column": "COLUMN",
    "composite type column": "COLUMN",
    "table constraint": "CONSTRAINT",
}


def _comment(c: Comment) -> str:
    if c.object_type == "domain constraint":
        name, domain = _split_on(c.identity)
        target = f"CONSTRAINT {name} ON DOMAIN {domain}"
    else:
        what = _COMMENT_KINDS.get(c.object_type, c.object_type.upper())
        target = f"{what} {c.identity}"
    return f"COMMENT ON {target} IS {quote_literal(c.text)}"


def _split_on(identity: str) -> tuple[str, str]:
    """`name on schema.relation` (pg_identify_object) -> (name, schema.relation)."""
    quoted = False
    for i, ch in enumerate(identity):
        if ch == '"':
            quoted = not quoted
        elif not quoted and identity.startswith(" on ", i):
            return identity[:i], identity[i + 4 :]
    return identity, ""


def _split_ident(text: str) -> list[str]:
    """`a."b.c".d` -> ["a", "b.c", "d"]: dotted names, quotes removed."""
    parts: list[str] = []
    cur = ""
    i = 0
    while i < len(text):
        ch = text[i]
        if ch == '"':
            end = i + 1
            while end < len(text):
                if text[end] == '"':
                    if text.startswith('""', end):
                        cur += '"'
                        end += 2
                        continue
                    break
                cur += text[end]
                end += 1
            i = end + 1
            continue
        if ch == ".":
            parts.append(cur)
            cur = ""
        else:
            cur += ch
        i += 1
    parts.append(cur)
    return parts


def _unqualify(identity: str) -> str:
    parts = _split_ident(identity)
    return parts[-1] if parts else ""


# -- dependency order ---------------------------------------------------------


def _vals(items: Mapping[Any, T]) -> list[T]:
    return list(items.values())


def _mentions(text: str, name: str) -> bool:
    """Whether `text` (server-printed SQL) names `name` as an identifier."""
    for spelling in {quote_ident(name), quote_always(name)}:
        pattern = r"(?<![\w$\"])" + re.escape(spelling) + r"(?![\w$\"])"
        if re.search(pattern, text):
            return True
    return False


def _topo(
    nodes: Sequence[T],
    name: Callable[[T], str],
    text: Callable[[T], str],
    deps: Callable[[T], set[str]] | None = None,
) -> list[T]:
    """`nodes` so that each comes after the nodes it refers to (by `deps`, else
    by name in its `text`); ties and cycles broken by name."""
    names = {name(n) for n in nodes}
    need: list[set[str]] = []
    for n in nodes:
        if deps is not None:
            need.append(deps(n))
        else:
            t = text(n)
            need.append({m for m in names if m != name(n) and _mentions(t, m)})
    remaining = sorted(range(len(nodes)), key=lambda i: name(nodes[i]))
    placed: set[str] = set()
    out: list[T] = []
    while remaining:
        pending = {name(nodes[i]) for i in remaining}
        ready = [i for i in remaining if not (need[i] & pending - {name(nodes[i])})]
        pick = ready[0] if ready else remaining[0]
        remaining.remove(pick)
        placed.add(name(nodes[pick]))
        out.append(nodes[pick])
    return out


def _table_text(t: Table) -> str:
    parts: list[str] = []
    for c in t.columns:
        parts += [c.type, c.default or "", c.generated or ""]
    parts += [c.definition for c in t.constraints]
    return "\n".join(parts)


def _domain_text(d: Domain | EnumType) -> str:
    if isinstance(d, EnumType):
        return ""
    return "\n".join([d.base_type, d.default or "", *(c.definition for c in d.checks)])


def _stem(name: str) -> str:
    stem = re.sub(r"[^A-Za-z0-9_-]+", "_", name).strip("_") or "table"
    if len(stem) > _STEM_MAX or stem != name:  # told apart by a hash of the whole name
        digest = hashlib.sha256(name.encode("utf-8", "surrogatepass")).hexdigest()[:10]
        stem = f"{stem[:_STEM_MAX]}_{digest}"
    return stem


def _file_name(n: int, width: int, stem: str) -> str:
    return f"{n:0{width}d}_{stem}.sql"
