"""The SQLite schema model as the engine-neutral entities a diagram draws
(`dbinit.entities`): tables, their columns with PK/FK/UK markers, foreign keys.

Views, indexes and triggers are not drawn; dbinit's history table is left out.
It must not read a database: it works on a model already read.
"""

from __future__ import annotations

from dbinit.entities import Attribute, Entities, Entity, Relation, keys_of
from dbinit.sqlite.introspect import HISTORY_TABLE
from dbinit.sqlite.model import Schema, Table
from dbinit.sqlite.sqltext import fold


def entities(schema: Schema) -> Entities:
    tables = [t for key, t in sorted(schema.tables.items()) if key != fold(HISTORY_TABLE)]
    unique_indexes: dict[str, set[tuple[str, ...]]] = {}
    for index in schema.indexes.values():
        names = tuple(fold(c.name) for c in index.columns if c.name is not None)
        if index.unique and index.where is None and len(names) == len(index.columns):
            unique_indexes.setdefault(index.table, set()).add(names)
    drawn = [_entity(t, unique_indexes.get(t.key, set())) for t in tables]
    relations = [rel for t in tables for rel in _relations(t, schema)]
    return Entities(tuple(drawn), tuple(relations))


def _uniques(table: Table, indexed: set[tuple[str, ...]]) -> tuple[tuple[str, ...], ...]:
    return (*table.uniques, *sorted(indexed))


def _entity(table: Table, indexed: set[tuple[str, ...]]) -> Entity:
    fks = tuple(fk.columns for fk in table.foreign_keys)
    uniques = _uniques(table, indexed)
    return Entity(
        table.name,
        tuple(
            Attribute(
                col.name,
                col.declared_type or col.type,
                keys_of(col.key, table.primary_key, fks, uniques),
                nullable=not col.notnull and col.key not in table.primary_key,
            )
            for col in table.columns
            if col.hidden != 1  # a virtual table's hidden columns
        ),
    )


def _relations(table: Table, schema: Schema) -> list[Relation]:
    names = {c.key: c.name for c in table.columns}
    uniques = {table.primary_key, *table.uniques}
    out = []
    for fk in table.foreign_keys:
        parent = schema.tables.get(fk.ref_table)
        ref_columns = fk.ref_columns or (parent.primary_key if parent else ())
        parent_names = {c.key: c.name for c in parent.columns} if parent else {}
        nullable = any(
            col is not None and not col.notnull and col.key not in table.primary_key
            for col in (table.column(c) for c in fk.columns)
        )
        out.append(
            Relation(
                child=table.name,
                columns=tuple(names.get(c, c) for c in fk.columns),
                parent=parent.name if parent else fk.ref_table,
                ref_columns=tuple(parent_names.get(c, c) for c in ref_columns),
                optional=nullable,
                one_to_one=fk.columns in uniques,
            )
        )
    return out
