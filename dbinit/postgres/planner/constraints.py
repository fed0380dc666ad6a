"""Planning: Constraints: added (online where it can), changed, their prechecks, and the
foreign keys of a changed key."""

from __future__ import annotations

from typing import TYPE_CHECKING

from dbinit.changes import Change, Kind
from dbinit.plan import Statement
from dbinit.postgres.compare.constraints import (
    constraint_cost,
    foreign_keys_on,
    kept_foreign_keys,
)
from dbinit.postgres.compare.hazards import ACCESS_EXCLUSIVE, SHARE_ROW_EXCLUSIVE, lock
from dbinit.postgres.ddl import PRINTED_CHECK, temp_name
from dbinit.postgres.model import Constraint, Ref
from dbinit.postgres.planner.tables import _POOLS
from dbinit.postgres.planner.text import staged
from dbinit.postgres.quote import ident as qi

if TYPE_CHECKING:
    from dbinit.postgres.planner.builder import _Builder


_NULLS_NOT_DISTINCT = "UNIQUE NULLS NOT DISTINCT"


def _constraint(self: _Builder, c: Change) -> None:
    con: Constraint = c.facts[0]
    lcon: Constraint | None = c.facts[1]
    tbl = self.q(c.table)
    stmts: list[Statement] = []
    aspects = {f.aspect for f in c.facts[2]} if lcon is not None else set()  # compare/tables.py
    if "renamed" in aspects:  # the same key under another name (its index follows)
        self.add(
            "constraints",
            f"rename constraint {c.before} to {con.name} on {c.table}",
            staged(c.facts[2], tbl),
            (c,),
            order=-1,
            provides=(("constraint", c.table, con.name),),
        )
        return
    if "validated" in aspects:
        self.add(
            "constraints",
            f"validate constraint {con.name} on {c.table}",
            staged(c.facts[2], tbl),
            (c,),
            prechecks=self._precheck(con),
            provides=(("constraint", c.table, con.name),),
        )
        return
    in_transaction = (
        self._partitioned(c.table)
        or self._changing_columns(con)
        or (con.type in ("u", "p") and self._keys_in_transaction(c.table))
    )
    # A changed UNIQUE or PRIMARY KEY built online keeps guarding the table until
    # its new index is built: one ALTER then drops it and attaches that index.
    swap = lcon is not None and con.type in ("u", "p") and bool(con.columns)
    swap = swap and not in_transaction
    if lcon is not None:
        if not swap:
            self.add(
                "drop_dependants",
                f"drop constraint {con.name} on {c.table} to add it again",
                [Statement(f"ALTER TABLE {tbl} DROP CONSTRAINT {qi(con.name)}")],
                (c,),
                order=0 if lcon.type == "f" else 1,
            )
        self._foreign_keys_again(lcon, c)
    add = f"ALTER TABLE {tbl} ADD CONSTRAINT {qi(con.name)}"
    if swap:
        add = f"ALTER TABLE {tbl} DROP CONSTRAINT {qi(con.name)}, ADD CONSTRAINT {qi(con.name)}"
    if in_transaction:
        # No CONCURRENTLY index build and no NOT VALID on a partitioned table:
        # added in the transaction (its prechecks still count violations first).
        # Nor on a column this plan adds or converts, whose values no query can
        # count before the plan runs: validated in the transaction (the table is
        # locked by that ALTER already), so a violation rolls everything back.
        # One declared NOT VALID stays so (never validated, never prechecked).
        not_valid = con.type in ("c", "f") and not con.validated
        self.add(
            "constraints",
            f"add constraint {con.name} on {c.table}",
            [Statement(f"{add} {con.definition}{' NOT VALID' if not_valid else ''}")],
            (c,),
            order=1 if con.type == "f" else 0,
            prechecks=() if not_valid else self._precheck(con),
            provides=(("constraint", c.table, con.name),),
        )
        self._validated_in_transaction(c, con, lcon)
        return
    # A foreign key to a key this plan adds online can only be added once that
    # key exists: after the transaction, online too (steps keep their order).
    late = self._key_added_online(con)
    if con.type in ("c", "f") and not con.validated:
        # Declared NOT VALID: added so, never validated (rows before it may break it).
        self.add(
            "constraints",
            f"add constraint {con.name} on {c.table} NOT VALID",
            [Statement(f"{add} {con.definition} NOT VALID", online=late)],
            (c,),
            order=1 if con.type == "f" else 0,
            provides=(("constraint", c.table, con.name),),
        )
        return
    if con.type in ("c", "f"):
        stmts += [
            Statement(f"{add} {con.definition} NOT VALID", online=late),
            Statement(f"ALTER TABLE {tbl} VALIDATE CONSTRAINT {qi(con.name)}", online=True),
        ]
    elif con.type in ("u", "p") and con.columns:
        index = temp_name("key", f"{c.table}.{con.name}")
        cols = ", ".join(qi(x) for x in con.columns)
        kind = "PRIMARY KEY" if con.type == "p" else "UNIQUE"
        defer = (" DEFERRABLE" if con.deferrable else "") + (
            " INITIALLY DEFERRED" if con.deferred else ""
        )
        # The index as the files' key builds it (INCLUDE, NULLS NOT DISTINCT,
        # storage options), so the constraint made from it is the declared one.
        spec = con.index_spec or f"ON {tbl} ({cols})"
        stmts += [
            Statement(f"CREATE UNIQUE INDEX CONCURRENTLY {qi(index)} {spec}", online=True),
            Statement(f"{add} {kind} USING INDEX {qi(index)}{defer}", online=True),
        ]
    else:
        stmts.append(Statement(f"{add} {con.definition}"))
    self.add(
        "constraints",
        f"add constraint {con.name} on {c.table}",
        stmts,
        (c,),
        order=1 if con.type == "f" else 0,
        prechecks=self._precheck(con),
        provides=(("constraint", c.table, con.name),),
    )


def _validated_in_transaction(
    self: _Builder, c: Change, con: Constraint, lcon: Constraint | None
) -> None:
    """The differ's hazards for `con` said it is validated online (or its index
    built concurrently); added in the transaction, it is scanned there, under the
    lock the transaction holds on the table: ACCESS EXCLUSIVE when the plan also
    drops the old constraint or adds or converts a column, else the ALTER's own."""
    if con.table not in self.live.tables:
        return
    alone = lcon is None and not self._changing_columns(con)
    level = SHARE_ROW_EXCLUSIVE if alone and con.type == "f" else ACCESS_EXCLUSIVE
    online = set(constraint_cost(con, new_table=False)[1]) | {lock(ACCESS_EXCLUSIVE, c.table)}
    _, inside = constraint_cost(con, new_table=False, in_transaction=level)
    self.hazards[c] = (*inside, *(h for h in c.hazards if h not in online and h not in inside))


def _changing_columns(self: _Builder, con: Constraint) -> bool:
    """Whether no query can count `con`'s violations before the plan runs: the
    plan adds a column it names or changes its type, or creates or changes a
    function, type, sequence or view it uses (`Schema.depends`)."""
    if con.table not in self.live.tables:
        return False
    for name in con.columns:
        if (Kind.MISSING_COLUMN, con.table, name) in self.own_change:
            return True
        if self.retyped(con.table, name) is not None:
            return True
    uses = self.desired.depends.get(("constraint", con.table, con.name), ())
    return any(self._planned(ref) for ref in uses)


def _planned(self: _Builder, ref: Ref) -> bool:
    """Whether the plan creates or changes object `ref` (a function, type, sequence,
    view or materialized view): an enum whose values are only added is not (they
    are committed before the prechecks run)."""
    if ref[0] not in _POOLS or len(ref) != 2:
        return False
    c = self.by_ref.get(ref)
    if c is None:
        return False
    return not (c.kind is Kind.TYPE_CHANGED and all(f.aspect == "label_added" for f in c.facts[2]))


def _keys_in_transaction(self: _Builder, table: str) -> bool:
    """Whether the plan drops a key of `table` that declared foreign keys use:
    its new keys are built in the transaction, where those foreign keys are
    added again (never a moment without them after the commit)."""
    lt = self.live.tables.get(table)
    if lt is None:
        return False
    return any(
        k.type in ("u", "p")
        and self._key_dropped(table, k.name)
        and kept_foreign_keys(self.desired, self.live, k)
        for k in lt.constraints
    )


def _key_dropped(self: _Builder, table: str, name: str) -> bool:
    """Whether the plan drops live constraint `name` of `table`: redefined (dropped
    and added again) or an extra it removes."""
    if (Kind.EXTRA_CONSTRAINT, table, name) in self.own_change:
        return True
    c = self.own_change.get((Kind.CONSTRAINT_CHANGED, table, name))
    return c is not None and any(f.aspect == "definition" for f in c.facts[2])


def _foreign_keys_again(self: _Builder, key: Constraint, c: Change) -> None:
    """Live key `key` is dropped (changed): the foreign keys that use it are
    dropped first and, as declared, added again after the new keys (NOT VALID
    in the transaction, prechecked, validated online). An undeclared one makes
    the change unsupported (unless the plan drops it anyway)."""
    kept = {(fk.table, fk.name) for fk in kept_foreign_keys(self.desired, self.live, key)}
    for fk in foreign_keys_on(self.live, key):
        if (Kind.CONSTRAINT_CHANGED, fk.table, fk.name) in self.own_change or (
            Kind.EXTRA_CONSTRAINT,
            fk.table,
            fk.name,
        ) in self.own_change:
            continue  # its own step drops it first
        if (fk.table, fk.name) not in kept:
            self.unsupported.setdefault(
                c, f"foreign key {fk.name} on {fk.table} (not declared) uses it"
            )
            continue
        tbl = self.q(fk.table)
        self.add(
            "drop_dependants",
            f"drop foreign key {fk.name} on {fk.table} to add it again",
            [Statement(f"ALTER TABLE {tbl} DROP CONSTRAINT {qi(fk.name)}")],
            (c,),
            order=0,
        )
        add = f"ALTER TABLE {tbl} ADD CONSTRAINT {qi(fk.name)} {fk.definition}"
        stmts = [Statement(f"{add} NOT VALID")]
        if fk.validated:
            stmts.append(
                Statement(f"ALTER TABLE {tbl} VALIDATE CONSTRAINT {qi(fk.name)}", online=True)
            )
        self.add(
            "constraints",
            f"add foreign key {fk.name} on {fk.table} again",
            stmts,
            (c,),
            order=1,
            prechecks=self._precheck(fk) if fk.validated else (),
            provides=(("constraint", fk.table, fk.name),),
        )


def _key_added_online(self: _Builder, fk: Constraint) -> bool:
    """Whether foreign key `fk` references a UNIQUE or PRIMARY KEY of an existing
    table that this plan adds (online, after the transaction)."""
    if fk.type != "f" or fk.ref_table is None or fk.ref_table in self.new_tables:
        return False
    have = self.live.tables.get(fk.ref_table)
    if have is None or self._partitioned(fk.ref_table):
        return False
    cols = set(fk.ref_columns)
    want = self.desired.tables.get(fk.ref_table)
    declared = {k.name for k in want.constraints} if want is not None else set()
    added = any(
        c.table == fk.ref_table
        and c.facts[0].type in ("u", "p")
        and set(c.facts[0].columns) == cols
        and (c.kind is Kind.MISSING_CONSTRAINT or self._key_dropped(c.table, c.name))
        for c in self.own_change.values()
        if c.kind in (Kind.MISSING_CONSTRAINT, Kind.CONSTRAINT_CHANGED)
    )
    kept = any(
        k.type in ("u", "p")
        and set(k.columns) == cols
        and (Kind.CONSTRAINT_CHANGED, fk.ref_table, k.name) not in self.own_change
        and (Kind.EXTRA_CONSTRAINT, fk.ref_table, k.name) not in self.own_change
        and (Kind.MISSING_CONSTRAINT, fk.ref_table, k.name) not in self.own_change
        and k.name in declared
        for k in have.constraints
    )
    return added and not kept


def _precheck(self: _Builder, con: Constraint) -> tuple[tuple[str, str, str], ...]:
    """(label, count query, find query) for a constraint on an existing table,
    when every column it names exists before the plan runs, with its type."""
    lt = self.live.tables.get(con.table)
    if lt is None or (not con.columns and con.type != "c") or self._changing_columns(con):
        return ()
    tbl = self._rows(con.table)
    cols = [qi(x) for x in con.columns]
    label = f"{con.kind} {con.name} on {con.table}"
    if con.type == "c":
        m = PRINTED_CHECK.fullmatch(con.definition)
        if m is None:
            return ()
        cond = f"({m.group(1)}) IS FALSE"
        return (
            (
                label,
                f"SELECT count(*) FROM {tbl} WHERE {cond}",
                f"SELECT * FROM {tbl} WHERE {cond} LIMIT 100",
            ),
        )
    if con.type in ("u", "p"):
        keys = ", ".join(cols)
        label = f"{con.kind} {con.name} on {con.table} ({', '.join(con.columns)})"
        # NULLS NOT DISTINCT (and a primary key, whose keys are never NULL):
        # NULL keys are equal; otherwise a row with a NULL key is no duplicate.
        nulls_equal = con.type == "p" or con.definition.startswith(_NULLS_NOT_DISTINCT)
        where = "" if nulls_equal else " WHERE " + " AND ".join(f"{x} IS NOT NULL" for x in cols)
        groups = f"FROM {tbl}{where} GROUP BY {keys} HAVING count(*) > 1"
        out = [
            (
                label,
                f"SELECT coalesce(sum(n), 0) FROM (SELECT count(*) AS n {groups}) d",
                f"SELECT {keys} {groups} LIMIT 100",
            )
        ]
        if con.type == "p":
            nulls = " OR ".join(f"{x} IS NULL" for x in cols)
            out.append(
                (
                    f"{label} (NULL keys)",
                    f"SELECT count(*) FROM {tbl} WHERE {nulls}",
                    f"SELECT * FROM {tbl} WHERE {nulls} LIMIT 100",
                )
            )
        return tuple(out)
    if con.type == "f" and con.ref_table and con.ref_columns:
        tbl = self._rows(con.table, "c")
        all_set = " AND ".join(f"c.{x} IS NOT NULL" for x in cols)
        cond = all_set
        rt = self.live.tables.get(con.ref_table)
        if rt is not None and all(rt.column(x) is not None for x in con.ref_columns):
            match = " AND ".join(
                f"p.{qi(r)} = c.{x}" for r, x in zip(con.ref_columns, cols, strict=True)
            )
            ref = self._rows(con.ref_table, "p")
            cond += f" AND NOT EXISTS (SELECT 1 FROM {ref} WHERE {match})"
        elif con.ref_table not in self.new_tables:
            return ()
        if con.match == "FULL" and len(cols) > 1:
            some = " OR ".join(f"c.{x} IS NOT NULL" for x in cols)
            cond = f"({cond}) OR (({some}) AND NOT ({all_set}))"
        return (
            (
                label,
                f"SELECT count(*) FROM {tbl} WHERE {cond}",
                f"SELECT c.* FROM {tbl} WHERE {cond} LIMIT 100",
            ),
        )
    return ()
