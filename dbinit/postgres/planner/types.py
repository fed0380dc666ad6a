"""Planning: Enum, domain and composite types."""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING

from dbinit.changes import Change
from dbinit.plan import Statement
from dbinit.postgres.compare.types import enum_additions
from dbinit.postgres.ddl import PRINTED_CHECK, VALUE_WORD, outside_strings, printed_name, temp_name
from dbinit.postgres.model import CompositeType, Domain, DomainCheck, EnumType
from dbinit.postgres.planner.text import _describe_ref
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


def _create_type(self: _Builder, t: EnumType | Domain | CompositeType) -> str:
    if isinstance(t, EnumType):
        return f"CREATE TYPE {self.q(t.name)} AS ENUM ({', '.join(ql(x) for x in t.labels)})"
    if isinstance(t, CompositeType):
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


def _type_changed(self: _Builder, c: Change) -> None:
    d = self.desired.types[c.name]
    lv = self.live.types[c.name]
    if isinstance(d, EnumType) and isinstance(lv, EnumType):
        adds = enum_additions(d, lv)
        if adds:
            for i, (label, before, after) in enumerate(adds):
                where = (
                    f" BEFORE {ql(before)}" if before else f" AFTER {ql(after)}" if after else ""
                )
                sql = f"ALTER TYPE {self.q(d.name)} ADD VALUE {ql(label)}{where}"
                self.add(
                    "enum_values",
                    f"add value {label} to enum {d.name}",
                    [Statement(sql, early=True)],
                    (c,),
                    order=i,
                )
            return
        self._replace_enum(c, d)
        return
    if isinstance(d, Domain) and isinstance(lv, Domain):
        if d.base_type != lv.base_type or d.collation != lv.collation:
            self.unsupported[c] = f"the base type or collation of domain {d.name}"
            return
        dom = f"ALTER DOMAIN {self.q(d.name)}"
        stmts: list[Statement] = []
        if d.default != lv.default:
            stmts.append(
                Statement(f"{dom} SET DEFAULT {d.default}" if d.default else f"{dom} DROP DEFAULT")
            )
        if d.notnull != lv.notnull:
            stmts.append(Statement(f"{dom} {'SET' if d.notnull else 'DROP'} NOT NULL"))
        have = {k.name: k for k in lv.checks}
        want = {k.name: k for k in d.checks}
        for name, k in have.items():
            if name not in want or want[name] != k:
                stmts.append(Statement(f"{dom} DROP CONSTRAINT {qi(name)}"))
        prechecks: list[tuple[str, str, str]] = []
        for name, k in want.items():
            if name not in have or have[name] != k or not have[name].validated:
                counted = self._domain_prechecks(d.name, k) if k.validated else ()
                if counted is None and name in have and have[name] == k:
                    counted = ()  # left to the online VALIDATE, as before
                if counted is None:
                    # Not countable before the plan: validated in the transaction.
                    stmts.append(Statement(f"{dom} ADD CONSTRAINT {qi(name)} {k.definition}"))
                    continue
                prechecks += counted
            if name not in have or have[name] != k:
                stmts.append(Statement(f"{dom} ADD CONSTRAINT {qi(name)} {k.definition} NOT VALID"))
                if k.validated:  # declared NOT VALID: never validated
                    stmts.append(Statement(f"{dom} VALIDATE CONSTRAINT {qi(name)}", online=True))
            elif not have[name].validated and k.validated:
                stmts.append(Statement(f"{dom} VALIDATE CONSTRAINT {qi(name)}", online=True))
        self.add(
            "base",
            f"alter domain {d.name}",
            stmts,
            (c,),
            order=d.oid,
            prechecks=tuple(prechecks),
        )
        return
    if isinstance(d, CompositeType) and isinstance(lv, CompositeType):
        self._alter_composite(c, d, lv)
        return
    self.unsupported[c] = f"{c.name} changes from one kind of type to another"


def _alter_composite(self: _Builder, c: Change, d: CompositeType, lv: CompositeType) -> None:
    """ALTER TYPE … DROP / ADD / ALTER ATTRIBUTE, in one statement. PostgreSQL
    adds an attribute at the end and cannot change an attribute's type while a
    table column holds values of the type: those are refused."""
    what = f"composite type {d.name}"
    kept = [a.name for a in lv.attributes if d.attribute(a.name) is not None]
    added = [a for a in d.attributes if lv.attribute(a.name) is None]
    if kept + [a.name for a in added] != [a.name for a in d.attributes]:
        self.unsupported[c] = (
            f"the attribute order of {what} (ALTER TYPE … ADD ATTRIBUTE adds at the end; "
            "declare new attributes last)"
        )
        return
    changed = [a for a in d.attributes if (la := lv.attribute(a.name)) is not None and la != a]
    users = [r for r in self.live.dependants(("type", d.name)) if r[0] in ("column", "type")]
    if changed and users:
        self.unsupported[c] = (
            f"the type of attribute {changed[0].name} of {what}: "
            f"{_describe_ref(users[0])} uses the type and PostgreSQL cannot change it "
            "then (declare a new type and convert the column)"
        )
        return
    actions = [f"DROP ATTRIBUTE {qi(a.name)}" for a in lv.attributes if a.name not in kept]
    actions += [f"ADD ATTRIBUTE {a.sql()}" for a in added]
    for a in changed:
        coll = f" COLLATE {a.collation}" if a.collation else ""
        actions.append(f"ALTER ATTRIBUTE {qi(a.name)} TYPE {a.type}{coll}")
    self.add(
        "base",
        f"alter {what}",
        [Statement(f"ALTER TYPE {self.q(d.name)} {', '.join(actions)}")],
        (c,),
        order=d.oid,
        provides=(("type", d.name),),
    )


def _domain_prechecks(
    self: _Builder, domain: str, check: DomainCheck
) -> tuple[tuple[str, str, str], ...] | None:
    """A domain CHECK's violations, counted in each live column of the domain
    (its `VALUE` read as the column); None when the expression cannot be
    rewritten so (a dollar-quoted string in it)."""
    m = PRINTED_CHECK.fullmatch(check.definition)
    if m is None or "$" in m.group(1):
        return None
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
            if base != printed_name(d.name):
                continue
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
