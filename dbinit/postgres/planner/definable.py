"""Planning: Collations, text-search dictionaries and configurations (created or
redefined from their definition)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from dbinit.changes import Change, Kind
from dbinit.plan import Statement
from dbinit.postgres.compare.hazards import refusal
from dbinit.postgres.model import Collation, Schema, TextSearchConfiguration, TextSearchDictionary
from dbinit.postgres.planner.text import _DEFINABLE_WORDS

if TYPE_CHECKING:
    from dbinit.postgres.planner.builder import _Builder


def _redefine(self: _Builder, c: Change) -> None:
    """A collation, text-search dictionary or configuration: created, or
    dropped and created again when nothing uses it (refused otherwise)."""
    kind = c.object
    word = _DEFINABLE_WORDS[kind]
    obj = self._definable(self.desired, kind, c.name)
    stmts: list[Statement] = []
    if c.kind in (
        Kind.COLLATION_CHANGED,
        Kind.TEXT_SEARCH_DICTIONARY_CHANGED,
        Kind.TEXT_SEARCH_CONFIGURATION_CHANGED,
    ):
        refused = refusal(c.facts[2])  # compare/definable.py: something uses it
        if refused:
            self.unsupported[c] = refused
            return
        stmts.append(Statement(f"DROP {word} {self.q(c.name)}"))
    stmts += [Statement(text) for text in obj.sql(self.q(c.name))]
    self.add(
        "base",
        f"{word.lower()} {c.name}",
        stmts,
        (c,),
        order=obj.oid,
        provides=((kind, c.name),),
    )


def _definable(
    s: Schema, kind: str, name: str
) -> Collation | TextSearchDictionary | TextSearchConfiguration:
    if kind == "collation":
        return s.collations[name]
    if kind == "text_search_dictionary":
        return s.ts_dictionaries[name]
    return s.ts_configurations[name]
