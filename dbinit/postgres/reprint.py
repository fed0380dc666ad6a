"""Definitions compared after a round trip through the server (issue 15 §3).

The server prints a definition (`pg_get_constraintdef`, `pg_get_viewdef`,
`pg_get_expr`, …) in a form that does not always parse back to the same
thing: `status IN ('a', 'b')` on a `varchar` prints as `(status)::text = ANY
((ARRAY['a'::character varying, …])::text[])`, which, created again, prints
as `… ANY (ARRAY[('a'::character varying)::text, …])`; an untyped `NULL` in a
`UNION` branch prints as `NULL::integer` and comes back with a column alias.
dbinit creates objects from the printed text of the desired model, so a
database it built prints the second form, while a database the app's own SQL
built prints the first.

`round_trip` (run in the scratch space, after the files ran) creates every
definition again from its printed text, in place, in a transaction it rolls
back, reads the result with the same introspector, and returns the second
printing of each definition that changed: `Schema.reprinted`, keyed as
`key_*` below. `as_declared` (pure, for the diff) reads a live definition
equal to that second printing as the declared one: both forms mean what the
files declare; no other text is ever taken for it.

This module must not decide what changed or how to apply it: it only tells
two printings of one definition apart from a real difference.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any

from dbinit.logs import log
from dbinit.postgres.model import Column, Domain, DomainCheck, Policy, Schema, Table
from dbinit.postgres.quote import ident as _qi

if TYPE_CHECKING:
    import psycopg

Key = tuple[str, ...]


def round_trip(conn: psycopg.Connection[Any], model: Schema) -> Schema:
    """`model` (read from the scratch space `conn` is connected to, with the
    session's `search_path` at the managed schema) with `reprinted` filled in.
    Nothing stays: every statement runs in a transaction rolled back. A
    definition the server refuses to take back (a dependent object, …) is
    simply not round-tripped."""
    import psycopg

    from dbinit.postgres.introspect import introspect

    statements = _statements(model)
    if not statements:
        return model
    with conn.transaction(force_rollback=True):
        try:  # fast path: one pipeline, no savepoint per statement
            with conn.transaction(), conn.pipeline():
                for text in statements:
                    conn.execute(text, prepare=False)
        except psycopg.Error:
            for text in statements:
                try:
                    with conn.transaction():
                        conn.execute(text, prepare=False)
                except psycopg.Error as exc:
                    log.debug("reprint.skipped", statement=text[:200], error=str(exc).strip())
        again = introspect(conn, model.schema)
    found = reprinted(model, again)
    if found:
        log.debug("reprint.found", definitions=len(found))
    return replace(model, reprinted=found)


# What the server prints that may read back differently: arrays and their casts
# (`IN (…)` prints as `= ANY ((ARRAY[…])::text[])`, whose cast moves onto the
# elements), NULLs (an untyped `NULL` in a `UNION` comes back typed). A definition
# holding none of them (`USING btree (email)`, a default of `0`, `''::text` or
# `now()`) prints back as it was: not created again, so the round trip costs
# statements in proportion to the definitions that need it, not to the schema.
_MAY_DIFFER = ("NULL", "ARRAY", "[]", "ANY (", "ALL (")


def _may_differ(text: str | None) -> bool:
    return text is not None and any(mark in text for mark in _MAY_DIFFER)


def _statements(m: Schema) -> list[str]:
    """Each definition of `m` that may print differently, created again from its
    printed text, in place."""
    out: list[str] = []
    for t in m.tables.values():
        tbl = _qi(t.name)
        for c in t.columns:
            if _may_differ(c.default):
                out.append(f"ALTER TABLE {tbl} ALTER COLUMN {_qi(c.name)} SET DEFAULT {c.default}")
        for k in t.constraints:
            if k.type == "c" and _may_differ(k.definition):
                out.append(
                    f"ALTER TABLE {tbl} DROP CONSTRAINT {_qi(k.name)}, "
                    f"ADD CONSTRAINT {_qi(k.name)} {k.definition}"
                )
    for d in m.types.values():
        if not isinstance(d, Domain):
            continue
        dom = _qi(d.name)
        if _may_differ(d.default):
            out.append(f"ALTER DOMAIN {dom} SET DEFAULT {d.default}")
        for dk in d.checks:
            if not _may_differ(dk.definition):
                continue
            out.append(f"ALTER DOMAIN {dom} DROP CONSTRAINT {_qi(dk.name)}")
            out.append(f"ALTER DOMAIN {dom} ADD CONSTRAINT {_qi(dk.name)} {dk.definition}")
    for v in m.views.values():
        if not _may_differ(v.definition):
            continue
        out.append(f"CREATE OR REPLACE VIEW {_qi(v.name)} AS {v.definition.rstrip().rstrip(';')}")
    for n, mv in enumerate(m.materialized_views.values()):
        if not _may_differ(mv.definition):
            continue
        out.append(f"ALTER MATERIALIZED VIEW {_qi(mv.name)} RENAME TO _dbinit_rt_m{n}")
        body = mv.definition.rstrip().rstrip(";")
        out.append(f"CREATE MATERIALIZED VIEW {_qi(mv.name)} AS {body} WITH NO DATA")
    for n, ix in enumerate(m.indexes.values()):
        if not _may_differ(ix.spec):
            continue
        out.append(f"ALTER INDEX {_qi(ix.name)} RENAME TO _dbinit_rt_i{n}")
        out.append(f"CREATE {'UNIQUE ' if ix.unique else ''}INDEX {_qi(ix.name)} {ix.spec}")
    for p in m.policies.values():
        if not (_may_differ(p.using) or _may_differ(p.check)):
            continue
        parts = [f"ALTER POLICY {_qi(p.name)} ON {_qi(p.table)}"]
        if p.using is not None:
            parts.append(f"USING ({p.using})")
        if p.check is not None:
            parts.append(f"WITH CHECK ({p.check})")
        if len(parts) > 1:
            out.append(" ".join(parts))
    return out


def key_default(table: str, column: str) -> Key:
    return ("default", table, column)


def key_constraint(table: str, name: str) -> Key:
    return ("constraint", table, name)


def key_domain_default(domain: str) -> Key:
    return ("domain_default", domain)


def key_domain_check(domain: str, name: str) -> Key:
    return ("domain_check", domain, name)


def key_view(name: str) -> Key:
    return ("view", name)


def key_materialized_view(name: str) -> Key:
    return ("materialized_view", name)


def key_index(name: str) -> Key:
    return ("index", name)


def key_policy(table: str, name: str, part: str) -> Key:
    return ("policy", table, name, part)


def reprinted(first: Schema, again: Schema) -> dict[Key, str]:
    """The definitions of `again` (the same objects created from `first`'s
    printed text) that print differently from `first`'s."""
    out: dict[Key, str] = {}

    def note(key: Key, before: str | None, after: str | None) -> None:
        if before is not None and after is not None and before != after:
            out[key] = after

    for name, t in first.tables.items():
        t2 = again.tables.get(name)
        if t2 is None:
            continue
        for c in t.columns:
            c2 = t2.column(c.name)
            if c2 is not None:
                note(key_default(name, c.name), c.default, c2.default)
        for k in t.constraints:
            k2 = t2.constraint(k.name)
            if k2 is not None and k.type == "c":
                note(key_constraint(name, k.name), k.definition, k2.definition)
    for name, d in first.types.items():
        d2 = again.types.get(name)
        if not (isinstance(d, Domain) and isinstance(d2, Domain)):
            continue
        note(key_domain_default(name), d.default, d2.default)
        checks2 = {k.name: k for k in d2.checks}
        for dk in d.checks:
            if dk.name in checks2:
                note(key_domain_check(name, dk.name), dk.definition, checks2[dk.name].definition)
    for name, v in first.views.items():
        if name in again.views:
            note(key_view(name), v.definition, again.views[name].definition)
    for name, mv in first.materialized_views.items():
        if name in again.materialized_views:
            after = again.materialized_views[name].definition
            note(key_materialized_view(name), mv.definition, after)
    for name, ix in first.indexes.items():
        if name in again.indexes:
            note(key_index(name), ix.spec, again.indexes[name].spec)
    for pk, p in first.policies.items():
        p2 = again.policies.get(pk)
        if p2 is not None:
            note(key_policy(p.table, p.name, "using"), p.using, p2.using)
            note(key_policy(p.table, p.name, "check"), p.check, p2.check)
    return out


def as_declared(desired: Schema, live: Schema) -> Schema:
    """`live` with each definition that equals the second printing of the
    declared one (`desired.reprinted`) read as the declared text."""
    rp = desired.reprinted

    def same(key: Key, live_text: str | None, declared: str | None) -> str | None:
        if live_text is None or declared is None or live_text == declared:
            return live_text
        if rp.get(key) == live_text:
            return declared
        if key[0] in {"constraint", "domain_check"} and printed_alike(live_text, declared):
            return declared
        return live_text

    tables: dict[str, Table] = {}
    for name, lt in live.tables.items():
        dt = desired.tables.get(name)
        if dt is None:
            tables[name] = lt
            continue
        columns: list[Column] = []
        for lc in lt.columns:
            dc = dt.column(lc.name)
            default = same(key_default(name, lc.name), lc.default, dc.default if dc else None)
            columns.append(lc if default == lc.default else replace(lc, default=default))
        constraints = []
        for lk in lt.constraints:
            dk = dt.constraint(lk.name)
            declared = dk.definition if dk else None
            text = same(key_constraint(name, lk.name), lk.definition, declared) or lk.definition
            constraints.append(lk if text == lk.definition else replace(lk, definition=text))
        tables[name] = replace(lt, columns=tuple(columns), constraints=tuple(constraints))
    types = dict(live.types)
    for name, lt2 in live.types.items():
        dd = desired.types.get(name)
        if not (isinstance(lt2, Domain) and isinstance(dd, Domain)):
            continue
        declared_checks = {k.name: k for k in dd.checks}
        checks: list[DomainCheck] = []
        for lk2 in lt2.checks:
            dk2 = declared_checks.get(lk2.name)
            declared = dk2.definition if dk2 else None
            key = key_domain_check(name, lk2.name)
            text = same(key, lk2.definition, declared) or lk2.definition
            checks.append(lk2 if text == lk2.definition else replace(lk2, definition=text))
        default = same(key_domain_default(name), lt2.default, dd.default)
        types[name] = replace(lt2, default=default, checks=tuple(checks))
    views = {
        name: replace(
            v,
            definition=same(key_view(name), v.definition, _def(desired.views.get(name)))
            or v.definition,
        )
        for name, v in live.views.items()
    }
    matviews = {
        name: replace(
            v,
            definition=same(
                key_materialized_view(name),
                v.definition,
                _def(desired.materialized_views.get(name)),
            )
            or v.definition,
        )
        for name, v in live.materialized_views.items()
    }
    indexes = {}
    for name, ix in live.indexes.items():
        dix = desired.indexes.get(name)
        spec = same(key_index(name), ix.spec, dix.spec if dix else None) or ix.spec
        indexes[name] = ix if spec == ix.spec else replace(ix, spec=spec)
    policies: dict[tuple[str, str], Policy] = {}
    for pk, p in live.policies.items():
        dp = desired.policies.get(pk)
        policies[pk] = replace(
            p,
            using=same(key_policy(p.table, p.name, "using"), p.using, dp.using if dp else None),
            check=same(key_policy(p.table, p.name, "check"), p.check, dp.check if dp else None),
        )
    return replace(
        live,
        tables=tables,
        types=types,
        views=views,
        materialized_views=matviews,
        indexes=indexes,
        policies=policies,
    )


def printed_alike(first: str, second: str) -> bool:
    """Two printings of one CHECK (`CHECK (…)`, as `pg_get_constraintdef` gives
    it) that the server tells apart only by where an array's cast sits: a
    database built from the app's own SQL prints `x IN ('a', 'b')` on a
    `varchar` as `… = ANY ((ARRAY['a'::character varying, …])::text[])`, which
    (as `pg_dump` writes it into the files) is created again and printed as
    `… = ANY (ARRAY[('a'::character varying)::text, …])`. Both parse to one
    tree once a cast of an `ARRAY[…]` constructor to `T[]` is moved onto each
    element as a cast to `T` (what the server does with it); anything else is
    compared as parsed, source positions left out. A text that does not parse
    is never alike."""
    from dbinit.postgres.sqlsplit import _pgparse

    pgparse = _pgparse()
    trees = []
    for text in (first, second):
        try:
            tree = pgparse.parse(f"ALTER TABLE t ADD CONSTRAINT c {text}")
        except pgparse.PGQueryError:
            return False
        trees.append(_casts_inside(tree))
    return bool(trees[0] == trees[1])


def _casts_inside(node: Any) -> Any:
    """`node` (a parse tree) without source positions, each `ARRAY[…]::T[]`
    read as `ARRAY[…::T, …]`."""
    if isinstance(node, list):
        return [_casts_inside(n) for n in node]
    if not isinstance(node, dict):
        return node
    cast = node.get("TypeCast")
    if isinstance(cast, dict):
        arr = (cast.get("arg") or {}).get("A_ArrayExpr")
        type_name = dict(cast.get("typeName") or {})
        bounds = type_name.pop("arrayBounds", None)
        if isinstance(arr, dict) and isinstance(bounds, list) and len(bounds) == 1:
            elements = [
                {"TypeCast": {"arg": e, "typeName": type_name}} for e in arr.get("elements", [])
            ]
            return _casts_inside({"A_ArrayExpr": {"elements": elements}})
    return {k: _casts_inside(v) for k, v in node.items() if k != "location"}


def _def(obj: Any) -> str | None:
    return None if obj is None else str(obj.definition)
