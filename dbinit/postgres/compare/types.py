"""Enum, domain, composite and range types."""

from __future__ import annotations

from dataclasses import replace

from dbinit.changes import Change, Hazard, Safety
from dbinit.plan import Statement
from dbinit.postgres.compare.hazards import Facet, Render, data_loss
from dbinit.postgres.compare.named import _named
from dbinit.postgres.ddl import PRINTED_CHECK, describe_ref
from dbinit.postgres.model import CompositeType, Domain, DomainCheck, EnumType, RangeType, Schema
from dbinit.postgres.quote import ident as qi
from dbinit.postgres.quote import literal as ql


def _declared_valid(desired: Schema, domain: str, check: str) -> bool:
    """Whether the files declare domain `domain`'s check `check` validated (not
    NOT VALID); a check the files do not declare is compared on its own."""
    d = desired.types.get(domain)
    if isinstance(d, Domain):
        for k in d.checks:
            if k.name == check:
                return k.validated
    return True


def enum_additions(d: EnumType, lv: EnumType) -> list[tuple[str, str | None, str | None]]:
    """The labels to add to `lv` to make it `d`, as (label, before, after) with
    the neighbour it goes next to; empty when `lv`'s labels are not a
    subsequence of `d`'s in the same order (then values would go or move)."""
    it = iter(d.labels)
    if not all(label in it for label in lv.labels):
        return []
    out: list[tuple[str, str | None, str | None]] = []
    have = set(lv.labels)
    for i, label in enumerate(d.labels):
        if label in have:
            continue
        after = d.labels[i - 1] if i > 0 else None
        before = next((x for x in d.labels[i + 1 :] if x in have), None)
        out.append((label, before if after is None else None, after))
    return out


# The stages a changed domain's statements run in.
_DEFAULT, _NOTNULL, _DROP_CHECK, _ADD_CHECK = range(4)


def _type_changed(
    d: EnumType | Domain | CompositeType | RangeType,
    lv: EnumType | Domain | CompositeType | RangeType,
    live: Schema,
) -> list[Facet]:
    """What differs in a type, each difference with its cost and its statements
    (given the type's schema-qualified, quoted name), or why it is refused.
    Statements that need the rows or the columns of the type as the planner knows
    them are named by the facet's aspect (`labels`: an enum rebuilt) or `checks`
    (a domain CHECK's precheck)."""
    if isinstance(d, EnumType) and isinstance(lv, EnumType):
        return _enum_changed(d, lv)
    if isinstance(d, Domain) and isinstance(lv, Domain):
        return _domain_changed(d, lv)
    if isinstance(d, CompositeType) and isinstance(lv, CompositeType):
        return _composite_changed(d, lv, live)
    if isinstance(d, RangeType) and isinstance(lv, RangeType):
        return [_range_changed(d, lv, live)]
    return [
        Facet(
            "kind",
            Safety.REBUILD,
            (),
            f"{type(lv).__name__} → {type(d).__name__}",
            refused=f"{d.name} changes from one kind of type to another",
        )
    ]


def _enum_changed(d: EnumType, lv: EnumType) -> list[Facet]:
    """Values added in place (`ADD VALUE`, committed before the plan's
    transaction: `early`); removed or reordered: the type is rebuilt (`labels`)."""
    adds = enum_additions(d, lv)
    if adds:
        out = []
        for i, (label, before, after) in enumerate(adds):
            where = f" BEFORE {ql(before)}" if before else f" AFTER {ql(after)}" if after else ""
            add = f"ADD VALUE {ql(label)}{where}"
            out.append(
                Facet(
                    "label_added",
                    Safety.SAFE,
                    (),
                    f"enum value {label} added",
                    sql=((i, _alter_type(add, early=True)),),
                )
            )
        return out
    gone = [x for x in lv.labels if x not in d.labels]
    if gone:
        return [
            Facet(
                "enum_rebuilt",
                Safety.DESTRUCTIVE,
                (data_loss(f"rows holding {', '.join(gone)} cannot be converted"),),
                f"enum values removed: {', '.join(gone)}",
            )
        ]
    return [
        Facet("enum_rebuilt", Safety.REBUILD, (), f"enum values reordered: {', '.join(d.labels)}")
    ]


def _alter_type(clause: str, *, early: bool) -> Render:
    return lambda q: [Statement(f"ALTER TYPE {q} {clause}", early=early)]


def _alter_domain(clause: str, *, online: bool = False) -> Render:
    return lambda q: [Statement(f"ALTER DOMAIN {q} {clause}", online=online)]


def countable(check: DomainCheck) -> bool:
    """Whether a domain CHECK's violations can be counted before the plan runs
    (its `VALUE` read as each column; not inside a dollar-quoted string)."""
    m = PRINTED_CHECK.fullmatch(check.definition)
    return m is not None and "$" not in m.group(1)


def _domain_changed(d: Domain, lv: Domain) -> list[Facet]:
    out: list[Facet] = []
    scan = Hazard("validation_scan", f"scans every column of type {d.name}")
    if d.base_type != lv.base_type or d.collation != lv.collation:
        out.append(
            Facet(
                "base_type",
                Safety.REBUILD,
                (),
                f"base type {lv.base_type} → {d.base_type} or collation",
                refused=f"the base type or collation of domain {d.name}",
            )
        )
    if d.default != lv.default:
        clause = f"SET DEFAULT {d.default}" if d.default else "DROP DEFAULT"
        out.append(
            Facet(
                "default",
                Safety.SAFE,
                (),
                f"default {lv.default} → {d.default}",
                sql=((_DEFAULT, _alter_domain(clause)),),
            )
        )
    if d.notnull != lv.notnull:
        out.append(
            Facet(
                "notnull",
                Safety.REBUILD if d.notnull else Safety.SAFE,
                (scan,) if d.notnull else (),
                "NOT NULL added" if d.notnull else "NOT NULL dropped",
                sql=((_NOTNULL, _alter_domain(f"{'SET' if d.notnull else 'DROP'} NOT NULL")),),
            )
        )
    if d.checks != lv.checks or any(not k.validated for k in lv.checks):
        out.append(_domain_checks(d, lv, scan))
    return out or [Facet("definition", Safety.SAFE, (), "definition differs")]


def _domain_checks(d: Domain, lv: Domain, scan: Hazard) -> Facet:
    """Checks dropped, added NOT VALID and validated online after their precheck
    (`checks`: ("domain_check", name)); one whose violations cannot be counted
    beforehand is added validated, in the transaction; one declared NOT VALID is
    never validated."""
    have = {k.name: k for k in lv.checks}
    want = {k.name: k for k in d.checks}
    sql: list[tuple[int, Render]] = []
    checks: list[tuple[str, str | None]] = []
    for name, k in have.items():
        if name not in want or want[name] != k:
            sql.append((_DROP_CHECK, _alter_domain(f"DROP CONSTRAINT {qi(name)}")))
    for name, k in want.items():
        same = name in have and have[name] == k
        if not same or not have[name].validated:
            if k.validated and countable(k):
                checks.append(("domain_check", name))
            elif k.validated and not same:
                # Not countable before the plan: validated in the transaction.
                sql.append((_ADD_CHECK, _alter_domain(f"ADD CONSTRAINT {qi(name)} {k.definition}")))
                continue
        validate = _alter_domain(f"VALIDATE CONSTRAINT {qi(name)}", online=True)
        if not same:
            add = f"ADD CONSTRAINT {qi(name)} {k.definition} NOT VALID"
            sql.append((_ADD_CHECK, _alter_domain(add)))
            if k.validated:  # declared NOT VALID: never validated
                sql.append((_ADD_CHECK, validate))
        elif not have[name].validated and k.validated:
            sql.append((_ADD_CHECK, validate))
    return Facet(
        "checks", Safety.SAFE, (scan,), "checks differ", sql=tuple(sql), checks=tuple(checks)
    )


def _composite_changed(d: CompositeType, lv: CompositeType, live: Schema) -> list[Facet]:
    """Attributes added: safe (no table is rewritten); an attribute's type changed:
    safe while no column holds the type (PostgreSQL refuses it otherwise: refused);
    dropped: destructive. One `ALTER TYPE` makes them all. PostgreSQL adds an
    attribute at the end: a new one declared before others is refused."""
    what = f"composite type {d.name}"
    out: list[Facet] = []
    kept = [a.name for a in lv.attributes if d.attribute(a.name) is not None]
    gone = [a.name for a in lv.attributes if d.attribute(a.name) is None]
    added = [a for a in d.attributes if lv.attribute(a.name) is None]
    changed = [a for a in d.attributes if (la := lv.attribute(a.name)) is not None and la != a]
    users = [r for r in live.dependants(("type", d.name)) if r[0] in ("column", "type")]
    refused = ""
    if kept + [a.name for a in added] != [a.name for a in d.attributes]:
        refused = (
            f"the attribute order of {what} (ALTER TYPE … ADD ATTRIBUTE adds at the end; "
            "declare new attributes last)"
        )
    elif changed and users:
        refused = (
            f"the type of attribute {changed[0].name} of {what}: "
            f"{describe_ref(users[0])} uses the type and PostgreSQL cannot change it "
            "then (declare a new type and convert the column)"
        )
    if added:
        names = ", ".join(a.name for a in added)
        out.append(Facet("attributes", Safety.SAFE, (), f"attributes added: {names}"))
    if changed:
        names = ", ".join(a.name for a in changed)
        safety = Safety.REBUILD if users else Safety.SAFE
        out.append(Facet("attributes", safety, (), f"attribute types changed: {names}"))
    if gone:
        loss = data_loss(f"attributes {', '.join(gone)} of every value of type {d.name}")
        out.append(
            Facet(
                "attributes", Safety.DESTRUCTIVE, (loss,), f"attributes dropped: {', '.join(gone)}"
            )
        )
    if not out:
        out.append(Facet("attributes", Safety.REBUILD, (), "attributes reordered"))
    actions = [f"DROP ATTRIBUTE {qi(name)}" for name in gone]
    actions += [f"ADD ATTRIBUTE {a.sql()}" for a in added]
    for a in changed:
        coll = f" COLLATE {a.collation}" if a.collation else ""
        actions.append(f"ALTER ATTRIBUTE {qi(a.name)} TYPE {a.type}{coll}")
    # The one statement rides on the first facet; a refusal on every one.
    first = replace(
        out[0],
        sql=((0, _alter_type(", ".join(actions), early=False)),) if actions and not refused else (),
    )
    return [replace(f, refused=refused) for f in (first, *out[1:])]


def _range_changed(d: RangeType, lv: RangeType, live: Schema) -> Facet:
    """No ALTER changes a range type's definition: dropped and created again while
    nothing uses it (a column, another type, a function); refused otherwise."""
    users = live.dependants(("type", d.name))
    refused = (
        f"range type {d.name}: {describe_ref(users[0])} uses it, and a range type is changed "
        "only by dropping it (declare a new type and convert the column)"
        if users
        else ""
    )
    return Facet(
        "range",
        Safety.REBUILD if users else Safety.SAFE,
        (),
        f"range ({lv.options}) → ({d.options})",
        sql=(
            ()
            if refused
            else ((0, lambda q: [Statement(f"DROP TYPE {q}"), Statement(d.sql(q)[0])]),)
        ),
        refused=refused,
    )


def compare_types(desired: Schema, live: Schema) -> list[Change]:
    """Enums, domains, composite and range types; a domain CHECK NOT VALID in the
    database that the files declare valid is drift too (`_declared_valid`)."""
    return _named(
        "type",
        desired.types,
        live.types,
        lambda d, lv: _type_changed(d, lv, live),
        table_of=lambda t: t.name,
        stale=lambda t: (
            isinstance(t, Domain)
            and any(not k.validated and _declared_valid(desired, t.name, k.name) for k in t.checks)
        ),
    )
