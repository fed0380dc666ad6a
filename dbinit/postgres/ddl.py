"""SQL text built from the PostgreSQL model alone: no database, no plan. The differ
(`compare/`, whose facets carry their statements) and the planner both build SQL with
these; neither owns them."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable

from dbinit.plan import Statement
from dbinit.postgres.model import INTERNAL_PREFIX, Column, Index, SequenceOptions
from dbinit.postgres.quote import ident as qi
from dbinit.postgres.quote import literal as ql

VALUE_WORD = re.compile(r"\bVALUE\b")


_QUOTED = re.compile(r"[Ee]'(?:[^'\\]|''|\\.)*'|'(?:[^']|'')*'|\"(?:[^\"]|\"\")*\"")


def outside_strings(text: str, change: Callable[[str], str]) -> str:
    """`text` with `change` applied to what is not a string literal or a quoted name."""
    out, at = [], 0
    for m in _QUOTED.finditer(text):
        out += [change(text[at : m.start()]), m.group()]
        at = m.end()
    return "".join([*out, change(text[at:])])


# A CHECK as pg_get_constraintdef prints it: its expression, maybe NO INHERIT.
PRINTED_CHECK = re.compile(r"CHECK (\(.*\))(?: NO INHERIT)?", re.S)


def temp_name(kind: str, name: str) -> str:
    """A `_dbinit_` name for a temporary object standing for `name` (≤ 63 bytes)."""
    digest = hashlib.sha1(f"{kind}:{name}".encode()).hexdigest()[:10]
    return f"{INTERNAL_PREFIX}{kind}_{digest}"


def strip_semicolon(definition: str) -> str:
    text = definition.strip()
    return text[:-1].rstrip() if text.endswith(";") else text


def with_options(options: tuple[str, ...]) -> str:
    return f" WITH ({', '.join(options)})" if options else ""


_PLAIN = re.compile(r"^[a-z_][a-z0-9_$]*$")


def printed_name(name: str) -> str:
    """A name as format_type prints it (quoted only when it must be)."""
    return name if _PLAIN.match(name) else qi(name)


def seq_options(o: SequenceOptions, *, with_type: bool) -> str:
    parts = [f"AS {o.data_type}"] if with_type else []
    parts += [
        f"INCREMENT BY {o.increment}",
        f"MINVALUE {o.minvalue}",
        f"MAXVALUE {o.maxvalue}",
        f"START WITH {o.start}",
        f"CACHE {o.cache}",
        "CYCLE" if o.cycle else "NO CYCLE",
    ]
    return " ".join(parts)


def column_sql(c: Column) -> str:
    parts = [qi(c.name), c.type]
    if c.collation:
        parts.append(f"COLLATE {c.collation}")
    if c.generated is not None:
        parts.append(f"GENERATED ALWAYS AS ({c.generated}) STORED")
    elif c.identity is not None:
        opts = (
            f" ({seq_options(c.identity_sequence, with_type=False)})" if c.identity_sequence else ""
        )
        parts.append(f"GENERATED {c.identity} AS IDENTITY{opts}")
    elif c.default is not None:
        parts.append(f"DEFAULT {c.default}")
    if c.notnull:
        parts.append("NOT NULL")
    return " ".join(parts)


_LIMITED = re.compile(r"^(character varying|character|bit varying|bit)\((\d+)\)((?:\[\])*)$")


def length_limited(type_: str) -> tuple[str, int, str]:
    """For `character varying(n)`, `character(n)`, `bit(n)`, `bit varying(n)`: the
    unlimited type values pass through (`text`, `bit varying`), n and the array
    suffix; else ("", 0, "")."""
    m = _LIMITED.match(type_)
    if not m:
        return "", 0, ""
    base = "text" if m[1].startswith("character") else "bit varying"
    return base, int(m[2]), m[3]


def conversion(dc: Column, lc: Column) -> str | None:
    """The USING expression that converts `lc`'s values to `dc`'s type: the
    column's `-- dbinit: using=EXPR` hint, else an explicit cast. An explicit cast
    to a length-limited type would cut longer values silently: those go through
    the unlimited type, and the ALTER's own (assignment) cast refuses what does
    not fit. None when the types are the same."""
    if dc.type == lc.type:
        return None
    if dc.using:
        return f"({dc.using})"
    base, _, arr = length_limited(dc.type)
    if base:
        return f"{qi(dc.name)}::{base}{arr}"
    return f"{qi(dc.name)}::{dc.type}"


def identity_into_range(tbl: str, dc: Column, lc: Column) -> list[Statement]:
    """A MINVALUE raised above an ascending identity's current value (a MAXVALUE
    lowered below a descending one's) is refused by the server: the sequence is
    first moved forward to the new bound (never back; a sequence not called yet
    is taken to stand at its start)."""
    new, old = dc.identity_sequence, lc.identity_sequence
    if new is None or old is None:
        return []
    up = new.increment > 0
    edge = new.minvalue if up else new.maxvalue
    if (edge <= old.minvalue) if up else (edge >= old.maxvalue):
        return []
    seq = f"pg_get_serial_sequence({ql(tbl)}, {ql(dc.name)})"
    return [
        Statement(
            f"SELECT setval(s, {edge}, false) FROM {seq} s WHERE coalesce("
            f"pg_sequence_last_value(s::regclass), {old.start}) {'<' if up else '>'} {edge}"
        )
    ]


def identity_past_rows(tbl: str, dc: Column) -> Statement:
    """A column that holds values and becomes an identity column: its new
    sequence moved past them (below them, counting down), or the next insert
    that takes a value from it collides with a row."""
    o = dc.identity_sequence
    up = o is None or o.increment > 0
    start = o.start if o is not None else 1
    col = qi(dc.name)
    return Statement(
        f"SELECT setval(pg_get_serial_sequence({ql(tbl)}, {ql(dc.name)}), m) FROM "
        f"(SELECT {'max' if up else 'min'}({col}) AS m FROM {tbl}) x "
        f"WHERE m {'>=' if up else '<='} {start}"
    )


def describe_ref(ref: tuple[str, ...]) -> str:
    """("column", "t", "c") → "column t.c"; ("index", "i") → "index i"."""
    return f"{ref[0].replace('_', ' ')} {'.'.join(ref[1:])}"


def options_clauses(want: tuple[str, ...], have: tuple[str, ...]) -> list[str]:
    """RESET (…) / SET (…) making a column's attribute options `have` into `want`."""
    keys = {o.split("=", 1)[0] for o in want}
    gone = [o.split("=", 1)[0] for o in have if o.split("=", 1)[0] not in keys]
    added = [o for o in want if o not in have]
    return ([f"RESET ({', '.join(gone)})"] if gone else []) + (
        [f"SET ({', '.join(added)})"] if added else []
    )


def column_settings(dc: Column, live: Column | None = None, *, retyped: bool = False) -> list[str]:
    """The ALTER COLUMN clauses (after `ALTER COLUMN name`) giving the column
    `live` the statistics target, attribute options, storage and compression of
    `dc`. `live` None: a column just created, every setting at its default;
    `retyped`: its type just changed, which reset its storage and compression."""
    stats = live.statistics if live is not None else None
    options = live.options if live is not None else ()
    storage = live.storage if live is not None and not retyped else None
    compression = live.compression if live is not None and not retyped else None
    out: list[str] = []
    if dc.statistics != stats:
        out.append(f"SET STATISTICS {-1 if dc.statistics is None else dc.statistics}")
    out += options_clauses(dc.options, options)
    if dc.storage != storage:  # back to the type's: the live column's type is dc's then
        out.append(f"SET STORAGE {dc.storage or (live.type_storage if live else '')}")
    if dc.compression != compression:
        out.append(f"SET COMPRESSION {dc.compression or 'default'}")
    return out


def column_settings_sql(tbl: str, dc: Column, live: Column | None = None) -> list[Statement]:
    """One ALTER TABLE with the `column_settings` of a column just created (or
    added again), or nothing: `tbl` the table's name as the statement writes it."""
    clauses = column_settings(dc, live)
    if not clauses:
        return []
    col = qi(dc.name)
    alter = ", ".join(f"ALTER COLUMN {col} {c}" for c in clauses)
    return [Statement(f"ALTER TABLE ONLY {tbl} {alter}")]  # a partition's are its own


def index_statistics(ix: Index, live: Index | None = None) -> list[str]:
    """The ALTER INDEX clauses giving the index `live` (None: one just built, every
    target at its default) the statistics targets of `ix`."""
    want, have = dict(ix.statistics), dict(live.statistics if live is not None else ())
    return [
        f"ALTER COLUMN {n} SET STATISTICS {want.get(n, -1)}"
        for n in sorted(want.keys() | have.keys())
        if want.get(n) != have.get(n)
    ]


def index_statistics_sql(
    index: str, ix: Index, live: Index | None = None, *, online: bool = False
) -> list[Statement]:
    """One ALTER INDEX (`index`: its name as the statement writes it) with the
    `index_statistics` of `ix`, or nothing."""
    clauses = index_statistics(ix, live)
    if not clauses:
        return []
    return [Statement(f"ALTER INDEX {index} {', '.join(clauses)}", online=online)]
