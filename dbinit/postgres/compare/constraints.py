"""Constraints: their cost, and the foreign keys that use a key."""

from __future__ import annotations

from dataclasses import replace

from dbinit.changes import Change, Hazard, Kind, Safety
from dbinit.postgres.compare.hazards import (
    ACCESS_EXCLUSIVE,
    SHARE_ROW_EXCLUSIVE,
    _dedup,
    index_build,
    lock,
    validation_scan,
    worst,
)
from dbinit.postgres.model import Constraint, Schema, Table


def constraint_cost(
    con: Constraint, *, new_table: bool, in_transaction: str | None = None
) -> tuple[Safety, tuple[Hazard, ...]]:
    """What adding `con` costs (on a table created in the same plan: nothing).
    A CHECK or FOREIGN KEY declared NOT VALID is added NOT VALID and never
    validated: no scan. `in_transaction`: the lock the plan's transaction holds
    on the table while it validates `con` (or builds its index) there, instead of
    online (the planner decides: planner/constraints.py)."""
    t = con.table
    if new_table:
        return Safety.SAFE, ()
    level = ACCESS_EXCLUSIVE if con.type == "c" else SHARE_ROW_EXCLUSIVE
    if con.type in ("c", "f") and not con.validated:
        locks = [lock(level, t)]
        if con.type == "f" and con.ref_table:
            locks.append(lock(SHARE_ROW_EXCLUSIVE, con.ref_table))
        return Safety.SAFE, tuple(locks)
    if con.type in ("c", "f"):
        hz: list[Hazard] = (
            [
                lock(in_transaction, t, "while the table is scanned"),
                validation_scan(t, con.name, in_transaction),
            ]
            if in_transaction
            else [lock(level, t), validation_scan(t, con.name)]
        )
        if con.type == "f" and con.ref_table:
            hz.insert(1, lock(SHARE_ROW_EXCLUSIVE, con.ref_table))
        return Safety.SAFE, tuple(hz)
    if con.type in ("u", "p") and in_transaction:
        return Safety.SAFE, (
            index_build(con.name, t, in_transaction),
            lock(in_transaction, t, "while its index is built"),
        )
    if con.type in ("u", "p"):
        return Safety.SAFE, (
            index_build(con.name, t),
            lock(ACCESS_EXCLUSIVE, t, "to attach the index"),
        )
    return Safety.REBUILD, (lock(ACCESS_EXCLUSIVE, t, "while its index is built"),)


def foreign_keys_on(schema: Schema, key: Constraint) -> list[Constraint]:
    """The foreign keys of `schema` that reference PRIMARY KEY or UNIQUE `key` (its
    table, the same set of columns: PostgreSQL picks such a key's index for them)."""
    if key.type not in ("p", "u"):
        return []
    return [
        fk
        for fk in schema.constraints()
        if fk.type == "f" and fk.ref_table == key.table and set(fk.ref_columns) == set(key.columns)
    ]


def kept_foreign_keys(desired: Schema, live: Schema, key: Constraint) -> list[Constraint]:
    """The live foreign keys on `key` that the files declare unchanged: when `key` is
    dropped (changed), they are dropped first and added again after (they need it)."""
    out = []
    for fk in foreign_keys_on(live, key):
        dt = desired.tables.get(fk.table)
        if dt is not None and dt.constraint(fk.name) == fk:
            out.append(fk)
    return out


def _key_used(c: Change, desired: Schema, live: Schema) -> Change:
    """A PRIMARY KEY or UNIQUE changed while declared foreign keys still use it: a
    rebuild (the foreign keys are dropped and added again around it, the new key
    built in the transaction: `repair`)."""
    if c.kind is not Kind.CONSTRAINT_CHANGED:
        return c
    lt = live.tables.get(c.table)
    key = lt.constraint(c.name) if lt is not None else None
    dt = desired.tables.get(c.table)
    if key is None or dt is None or dt.constraint(c.name) is None:
        return c
    if dt.constraint(c.name) == key:  # only validated: nothing is dropped
        return c
    fks = kept_foreign_keys(desired, live, key)
    if not fks:
        return c
    names = ", ".join(f"{fk.table}.{fk.name}" for fk in fks)
    return replace(
        c,
        safety=worst(c.safety, Safety.REBUILD),
        detail=f"{c.detail}; foreign keys use it: {names} (dropped and added again around it)",
        hazards=_dedup((*c.hazards, *(lock(SHARE_ROW_EXCLUSIVE, fk.table) for fk in fks))),
    )


def renamed_keys(dt: Table, lt: Table) -> dict[str, str]:
    """A PRIMARY KEY or UNIQUE declared under another name than the live one, the
    same otherwise (columns, options): declared name → live name, renamed in
    place (`RENAME CONSTRAINT`, its index follows) rather than a second key added
    next to the first ("multiple primary keys"). Only one-to-one matches."""
    declared = {c.name for c in dt.constraints}
    present = {c.name for c in lt.constraints}
    missing = [c for c in dt.constraints if c.type in ("p", "u") and c.name not in present]
    extra = [c for c in lt.constraints if c.type in ("p", "u") and c.name not in declared]
    out: dict[str, str] = {}
    for dcon in missing:
        same = [c for c in extra if replace(c, name=dcon.name) == dcon]
        twins = [d for d in missing if replace(d, name=dcon.name) == dcon]
        if len(same) == 1 and len(twins) == 1:
            out[dcon.name] = same[0].name
    return out


def _kind_once(con: Constraint) -> str:
    """The server's definition names its kind (`CHECK (…)`): never say it twice."""
    if con.definition.upper().startswith(con.kind):
        return con.definition
    return f"{con.kind} {con.definition}"
