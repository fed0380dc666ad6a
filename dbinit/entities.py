"""A schema's tables, columns, keys and foreign keys, engine-neutral, and its
Mermaid `erDiagram` (`inspect --format mermaid`, `validate --schema-only
--format mermaid`).

Each backend describes its schema with these few dataclasses
(`Backend.entities`); this module turns them into diagram text. It must not
read a database, parse SQL or know which engine it draws.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

PK, FK, UK = "PK", "FK", "UK"


@dataclass(frozen=True, slots=True)
class Attribute:
    name: str
    type: str  # as the engine spells it ("" when none is declared)
    keys: tuple[str, ...] = ()  # PK, FK, UK in that order
    nullable: bool = True


@dataclass(frozen=True, slots=True)
class Entity:
    name: str
    attributes: tuple[Attribute, ...]


@dataclass(frozen=True, slots=True)
class Relation:
    """A foreign key: `child.columns` refer to `parent.ref_columns`."""

    child: str
    columns: tuple[str, ...]
    parent: str
    ref_columns: tuple[str, ...]
    optional: bool  # a child row may have no parent (a nullable column)
    one_to_one: bool  # the child columns are unique: at most one child per parent


@dataclass(frozen=True, slots=True)
class Entities:
    entities: tuple[Entity, ...]
    relations: tuple[Relation, ...]


def keys_of(
    column: str,
    primary_key: tuple[str, ...],
    foreign_keys: tuple[tuple[str, ...], ...],
    uniques: tuple[tuple[str, ...], ...],
) -> tuple[str, ...]:
    """The markers of one column: PK for any column of the primary key, FK for
    any column of a foreign key, UK for a column unique on its own."""
    keys = []
    if column in primary_key:
        keys.append(PK)
    if any(column in fk for fk in foreign_keys):
        keys.append(FK)
    if (column,) in uniques and primary_key != (column,):
        keys.append(UK)
    return tuple(keys)


# What Mermaid takes raw: entity names, attribute types and attribute names.
_PLAIN_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*\Z")
_WORD_CHARS = re.compile(r"[^A-Za-z0-9_\-\[\]()]+")


def mermaid(model: Entities) -> str:
    """The `erDiagram` text, one entity block per table, then one line per
    foreign key (parent to child), in the order the backend gave."""
    lines = ["erDiagram"]
    for entity in model.entities:
        lines.append(f"    {_entity(entity.name)} {{")
        for attr in entity.attributes:
            lines.append(f"        {_attribute(attr)}")
        lines.append("    }")
    for rel in model.relations:
        parent_end = "|o" if rel.optional else "||"
        child_end = "o|" if rel.one_to_one else "o{"
        label = ", ".join(
            f"{c} → {r}" if r and r != c else c
            for c, r in zip(rel.columns, rel.ref_columns or ("",) * len(rel.columns), strict=True)
        )
        lines.append(
            f"    {_entity(rel.parent)} {parent_end}--{child_end} {_entity(rel.child)} : "
            f"{_string(label)}"
        )
    return "\n".join(lines) + "\n"


def _entity(name: str) -> str:
    """A name Mermaid takes raw, else in double quotes."""
    return name if _PLAIN_NAME.match(name) else _string(name)


def _string(text: str) -> str:
    """A quoted Mermaid string: `"` becomes `#quot;`, line breaks a space."""
    flat = " ".join(text.replace('"', "#quot;").split())
    return f'"{flat}"'


def _word(text: str, fallback: str) -> str:
    """`text` as one Mermaid word: other characters become `_`."""
    word = _WORD_CHARS.sub("_", text.strip()).strip("_") or fallback
    return word if re.match(r"[A-Za-z_*]", word) else f"_{word}"


def _attribute(attr: Attribute) -> str:
    """`type name [keys] ["comment"]`: a name or type Mermaid cannot take raw
    is spelled with `_` and the exact text goes in the comment."""
    name = _word(attr.name, "column")
    kind = _word(attr.type, "ANY")
    text = f"{kind} {name}"
    if attr.keys:
        text += " " + ", ".join(attr.keys)
    notes = []
    if name != attr.name:
        notes.append(attr.name)
    if attr.type and kind != attr.type:
        notes.append(attr.type)
    if notes:
        text += " " + _string(": ".join(notes))
    return text
