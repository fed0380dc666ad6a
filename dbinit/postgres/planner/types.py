"""Planning: Enum, domain, composite and range types."""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING

from dbinit.changes import Change
from dbinit.plan import Statement
from dbinit.postgres.compare.hazards import Facet, refusal
from dbinit.postgres.ddl import PRINTED_CHECK, VALUE_WORD, outside_strings, printed_name, temp_name
from dbinit.postgres.model import CompositeType, Domain, DomainCheck, EnumType, RangeType
from dbinit.postgres.planner.text import staged
from dbinit.postgres.quote import ident as qi
from dbinit.postgres.quote import literal as ql

if TYPE_CHECKING:
    from dbinit.postgres.planner.builder import _Builder


def _type(self: _Builder, c: Change) -> None:
    t = self.desired.types[c.name]
    self.add(
        "base",
        f"create type {t.name}",
        [Statement(self._create_type(t))],
        (c,),
        order=t.oid,
        provides=(("type", t.name),),
    )


def _create_type(self: _Builder, t: EnumType | Domain | CompositeType | RangeType) -> str:
    if isinstance(t, EnumType):
        return f"CREATE TYPE {self.q(t.name)} AS ENUM ({', '.join(ql(x) for x in t.labels)})"
    if isinstance(t, CompositeType | RangeType):
        return t.sql(self.q(t.name))[0]
    parts = [f"CREATE DOMAIN {self.q(t.name)} AS {t.base_type}"]
    if t.collation:
        parts.append(f"COLLATE {t.collation}")
    if t.default is not None:
        parts.append(f"DEFAULT {t.default}")
    if t.notnull:
        parts.append("NOT NULL")
    parts += [f"CONSTRAINT {qi(k.name)} {k.definition}" for k in t.checks]
    return " ".join(parts)


_WHAT = {
    EnumType: "enum",
    Domain: "domain",
    CompositeType: "composite type",
    RangeType: "range type",
}


def _type_changed(self: _Builder, c: Change) -> None:
    """The statements of the type's facets (compare/types.py): enum values added
    first, each committed on its own (`early`); an enum whose values go or move
    rebuilt (`_replace_enum`); a domain's CHECK prechecked on every live column of
    the domain."""
    d = c.facts[0]
    facets: tuple[Facet, ...] = c.facts[2]
    refused = refusal(facets)
    if refused:
        self.unsupported[c] = refused
        return
    if any(f.aspect == "enum_rebuilt" for f in facets):
        self._replace_enum(c, d)
        return
    q = self.q(d.name)
    early = [(f.detail, s) for f in facets for _, render in f.sql for s in render(q) if s.early]
    for i, (detail, s) in enumerate(early):
        self.add("enum_values", f"enum {d.name}: {detail}", [s], (c,), order=i)
    checks = {k.name: k for k in d.checks} if isinstance(d, Domain) else {}
    prechecks = tuple(
        p
        for f in facets
        for kind, name in f.checks
        if kind == "domain_check" and name is not None
        for p in self._domain_prechecks(d.name, checks[name])
    )
    self.add(
        "base",
        f"alter {_WHAT[type(d)]} {d.name}",
        [s for s in staged(facets, q) if not s.early],
        (c,),
        order=d.oid,
        prechecks=prechecks,
        provides=(("type", d.name),),
    )


def _domain_prechecks(
    self: _Builder, domain: str, check: DomainCheck
) -> tuple[tuple[str, str, str], ...]:
    """A domain CHECK's violations, counted in each live column of the domain
    (its `VALUE` read as the column). Only for a check compare/types.py found
    `countable`."""
    m = PRINTED_CHECK.fullmatch(check.definition)
    if m is None:
        return ()
    out: list[tuple[str, str, str]] = []
    for t in self.live.tables.values():
        for col in t.columns:
            if col.type != domain:
                continue
            column = qi(col.name).replace("\\", "\\\\")  # a replacement string
            expr = outside_strings(m.group(1), partial(VALUE_WORD.sub, column))
            cond = f"({expr}) IS FALSE"
            tbl = self.q(t.name)
            out.append(
                (
                    f"CHECK {check.name} of domain {domain} on {t.name}.{col.name}",
                    f"SELECT count(*) FROM {tbl} WHERE {cond}",
                    f"SELECT * FROM {tbl} WHERE {cond} LIMIT 100",
                )
            )
    return tuple(out)


def _replace_enum(self: _Builder, c: Change, d: EnumType) -> None:
    """Values removed or reordered: a new type, every column converted through text."""
    old = temp_name("old", d.name)
    self._rebuild_dependants(("type", d.name), c, dropped=False)
    stmts = [
        Statement(f"ALTER TYPE {self.q(d.name)} RENAME TO {qi(old)}"),
        Statement(self._create_type(d)),
    ]
    for t in self.live.tables.values():
        for col in t.columns:
            base = col.type.removesuffix("[]")
            if base != printed_name(d.name) or self._dropped(("column", t.name, col.name)):
                continue  # not of the type, or dropped by the plan before this runs
            self._rebuild_dependants(("column", t.name, col.name), c, dropped=False)
            dt = self.desired.tables.get(t.name)
            dc = dt.column(col.name) if dt else None
            at = f"ALTER TABLE {self.q(t.name)} ALTER COLUMN {qi(col.name)}"
            if col.default is not None:
                stmts.append(Statement(f"{at} DROP DEFAULT"))
            arr = "[]" if col.type.endswith("[]") else ""
            new = f"{self.q(d.name)}{arr}"
            stmts.append(Statement(f"{at} TYPE {new} USING {qi(col.name)}::text{arr}::{new}"))
            if dc is not None and dc.default is not None and col.default is not None:
                stmts.append(Statement(f"{at} SET DEFAULT {dc.default}"))
    stmts.append(Statement(f"DROP TYPE {self.q(old)}"))
    self.add("base", f"replace enum {d.name}", stmts, (c,), order=d.oid)
