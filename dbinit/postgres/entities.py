"""The PostgreSQL schema model as the engine-neutral entities a diagram draws
(`dbinit.entities`): tables, their columns with PK/FK/UK markers, foreign keys.

Types are as the server prints them (`format_type`). Views, indexes and the
other managed kinds are not drawn; dbinit's own tables are left out. It must
not touch a server or import the driver: it works on a model already read.
"""

from __future__ import annotations

from dbinit.entities import Attribute, Entities, Entity, Relation, keys_of
from dbinit.postgres.model import Constraint, Schema, Table, is_internal


def entities(schema: Schema) -> Entities:
    tables = [t for name, t in sorted(schema.tables.items()) if not is_internal(name)]
    drawn = [_entity(t) for t in tables]
    relations = [
        _relation(t, con, schema)
        for t in tables
        for con in t.constraints
        if con.type == "f" and con.ref_table
    ]
    return Entities(tuple(drawn), tuple(relations))


def _of(table: Table, kind: str) -> list[Constraint]:
    return [c for c in table.constraints if c.type == kind]


def _primary_key(table: Table) -> tuple[str, ...]:
    pk = _of(table, "p")
    return pk[0].columns if pk else ()


def _entity(table: Table) -> Entity:
    pk = _primary_key(table)
    fks = tuple(c.columns for c in _of(table, "f"))
    uniques = tuple(c.columns for c in _of(table, "u"))
    return Entity(
        table.name,
        tuple(
            Attribute(
                col.name,
                col.type,
                keys_of(col.name, pk, fks, uniques),
                nullable=not col.notnull and col.name not in pk,
            )
            for col in table.columns
        ),
    )


def _relation(table: Table, fk: Constraint, schema: Schema) -> Relation:
    assert fk.ref_table is not None
    parent = schema.tables.get(fk.ref_table)
    ref_columns = fk.ref_columns or (_primary_key(parent) if parent else ())
    pk = _primary_key(table)
    optional = any(
        col is not None and not col.notnull and col.name not in pk
        for col in (table.column(c) for c in fk.columns)
    )
    unique = {pk, *(c.columns for c in _of(table, "u"))}
    return Relation(
        child=table.name,
        columns=fk.columns,
        parent=fk.ref_table,
        ref_columns=ref_columns,
        optional=optional,
        one_to_one=fk.columns in unique,
    )
