"""Typed changes: what differs between the declared and the live schema.

Engine-neutral: every engine's differ produces these, the planner turns them
into steps, the report and the renderer show them. A change carries both
sides, its safety class and the hazards of applying it; the engine's own
model objects ride along in `facts` for its planner only (never compared,
shown, serialised or stored), and nothing here reads a database or builds SQL.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


@dataclass(frozen=True, slots=True)
class Hazard:
    """Something applying a change does to a running application: `type` is one
    of `lock`, `rewrite`, `index_build`, `validation_scan`, `data_loss`,
    `conversion` (values copied unconverted into another type)."""

    type: str
    detail: str

    def to_dict(self) -> dict[str, str]:
        return {"type": self.type, "detail": self.detail}


class Safety(StrEnum):
    SAFE = "safe"
    REBUILD = "rebuild"
    DESTRUCTIVE = "destructive"


class Kind(StrEnum):
    MISSING_TABLE = "missing_table"
    EXTRA_TABLE = "extra_table"
    MISSING_COLUMN = "missing_column"
    EXTRA_COLUMN = "extra_column"
    COLUMN_CHANGED = "column_changed"
    TABLE_CHANGED = "table_changed"
    MISSING_INDEX = "missing_index"
    EXTRA_INDEX = "extra_index"
    INDEX_CHANGED = "index_changed"
    MISSING_VIEW = "missing_view"
    EXTRA_VIEW = "extra_view"
    VIEW_CHANGED = "view_changed"
    MISSING_TRIGGER = "missing_trigger"
    EXTRA_TRIGGER = "extra_trigger"
    TRIGGER_CHANGED = "trigger_changed"
    TABLE_RENAMED = "table_renamed"
    COLUMN_RENAMED = "column_renamed"
    # Kinds only PostgreSQL has (postgres.md): missing_<kind>, extra_<kind>, <kind>_changed.
    MISSING_CONSTRAINT = "missing_constraint"
    EXTRA_CONSTRAINT = "extra_constraint"
    CONSTRAINT_CHANGED = "constraint_changed"
    MISSING_TYPE = "missing_type"
    EXTRA_TYPE = "extra_type"
    TYPE_CHANGED = "type_changed"
    MISSING_SEQUENCE = "missing_sequence"
    EXTRA_SEQUENCE = "extra_sequence"
    SEQUENCE_CHANGED = "sequence_changed"
    # an identity or serial sequence behind the values of its column (postgres.md "Sequences")
    SEQUENCE_BEHIND = "sequence_behind"
    MISSING_FUNCTION = "missing_function"
    EXTRA_FUNCTION = "extra_function"
    FUNCTION_CHANGED = "function_changed"
    MISSING_EXTENSION = "missing_extension"
    EXTRA_EXTENSION = "extra_extension"
    EXTENSION_CHANGED = "extension_changed"
    MISSING_MATERIALIZED_VIEW = "missing_materialized_view"
    EXTRA_MATERIALIZED_VIEW = "extra_materialized_view"
    MATERIALIZED_VIEW_CHANGED = "materialized_view_changed"
    MISSING_COMMENT = "missing_comment"
    EXTRA_COMMENT = "extra_comment"
    COMMENT_CHANGED = "comment_changed"
    MISSING_POLICY = "missing_policy"
    EXTRA_POLICY = "extra_policy"
    POLICY_CHANGED = "policy_changed"
    MISSING_PARTITION = "missing_partition"
    EXTRA_PARTITION = "extra_partition"
    PARTITION_CHANGED = "partition_changed"
    MISSING_COLLATION = "missing_collation"
    EXTRA_COLLATION = "extra_collation"
    COLLATION_CHANGED = "collation_changed"
    MISSING_TEXT_SEARCH_DICTIONARY = "missing_text_search_dictionary"
    EXTRA_TEXT_SEARCH_DICTIONARY = "extra_text_search_dictionary"
    TEXT_SEARCH_DICTIONARY_CHANGED = "text_search_dictionary_changed"
    MISSING_TEXT_SEARCH_CONFIGURATION = "missing_text_search_configuration"
    EXTRA_TEXT_SEARCH_CONFIGURATION = "extra_text_search_configuration"
    TEXT_SEARCH_CONFIGURATION_CHANGED = "text_search_configuration_changed"
    # Objects outside the managed list (postgres.md): listed once, safety safe, never planned.
    UNMANAGED_POLICY = "unmanaged_policy"
    UNMANAGED_RULE = "unmanaged_rule"
    UNMANAGED_PUBLICATION = "unmanaged_publication"
    UNMANAGED_EVENT_TRIGGER = "unmanaged_event_trigger"
    UNMANAGED_STATISTICS = "unmanaged_statistics"
    UNMANAGED_COLLATION = "unmanaged_collation"
    UNMANAGED_OPERATOR = "unmanaged_operator"
    UNMANAGED_TEXT_SEARCH_CONFIGURATION = "unmanaged_text_search_configuration"
    UNMANAGED_PARTITION = "unmanaged_partition"
    UNMANAGED_PARTITIONED_TABLE = "unmanaged_partitioned_table"
    UNMANAGED_FOREIGN_TABLE = "unmanaged_foreign_table"
    UNMANAGED_GRANT = "unmanaged_grant"
    UNMANAGED_ROW_SECURITY = "unmanaged_row_security"
    UNMANAGED_COMPOSITE_TYPE = "unmanaged_composite_type"
    UNMANAGED_RANGE_TYPE = "unmanaged_range_type"
    UNMANAGED_MULTIRANGE_TYPE = "unmanaged_multirange_type"
    UNMANAGED_TYPE = "unmanaged_type"
    UNMANAGED_AGGREGATE = "unmanaged_aggregate"
    UNMANAGED_WINDOW_FUNCTION = "unmanaged_window_function"
    UNMANAGED_EXTENSION = "unmanaged_extension"
    UNMANAGED_OBJECT = "unmanaged_object"


@dataclass(frozen=True, slots=True)
class Change:
    """One difference, with both sides (`before` live, `after` declared).

    Two facts about the object, set by the engine's differ and read by the
    core, never derived from `kind` or `safety` (whose values differ by engine):
    `extra`: it exists live and no schema file declares it (a warning for
    `check`, a failure for `validate` unless extras are allowed); `unmanaged`:
    it is of a kind the engine does not manage (listed, never planned, never
    drift). Every other change is drift, whatever its safety class: a declared
    column narrowed on PostgreSQL is `destructive` and still drift.
    """

    kind: Kind
    object: str  # table, virtual_table, column, index, view, trigger
    name: str
    table: str
    safety: Safety
    detail: str
    column: str | None = None
    before: str | None = None
    after: str | None = None
    sql: tuple[str, ...] = ()
    hazards: tuple[Hazard, ...] = ()
    extra: bool = False
    unmanaged: bool = False
    # The engine's model objects the differ compared, `(declared, live)` (None for
    # the absent side), so its planner reads them instead of looking them up again
    # by name; a changed PostgreSQL object adds a third: its facets, each difference
    # with its cost and its statements or its refusal. Opaque to the core: not part
    # of equality, hash, repr or `to_dict`.
    facts: Any = field(default=None, compare=False, repr=False, hash=False)

    @property
    def drift(self) -> bool:
        """A difference in what the files declare: `check` exits 1 for it."""
        return not self.extra and not self.unmanaged

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind.value,
            "object": self.object,
            "name": self.name,
            "table": self.table,
            "column": self.column,
            "safety": self.safety.value,
            "extra": self.extra,
            "detail": self.detail,
            "sql": list(self.sql),
            "hazards": [h.to_dict() for h in self.hazards],
        }


def likely_renames(
    desired: list[tuple[str, str]],
    live: list[tuple[str, str]],
    missing: set[str],
    extra: set[str],
) -> dict[str, str]:
    """{declared column: live column} where a missing declared column sits at the
    place of an undeclared live one of the same type (`(name, type)` in table
    order; `missing`/`extra` name them as the lists do): probably a rename that
    lacks its hint."""
    out: dict[str, str] = {}
    for i, (name, type_) in enumerate(desired):
        if name in missing and i < len(live):
            old, old_type = live[i]
            if old in extra and old_type == type_:
                out[name] = old
    return out


def rename_hint(old: str) -> str:
    """The hint that keeps a renamed column's values, for the missing column's detail."""
    bare = old.isascii() and old.replace("_", "a").isalnum() and not old[:1].isdigit()
    shown = old if bare else '"' + old.replace('"', '""') + '"'
    return f"; if it is {old} renamed, add `-- dbinit: renamed-from={shown}` on its line"


def renamed_to_hint(new: str) -> str:
    """For the extra column's detail: what the files declare in its place."""
    return f"; {new} is declared in its place (a rename? see {new})"
