"""Planning: Comments."""

from __future__ import annotations

from typing import TYPE_CHECKING

from dbinit.changes import Change, Kind
from dbinit.plan import Statement
from dbinit.postgres.model import Comment
from dbinit.postgres.quote import literal as ql

if TYPE_CHECKING:
    from dbinit.postgres.planner.builder import _Builder


_COMMENT_ON = {
    "table column": "COLUMN",
    "composite type column": "COLUMN",
    "materialized view": "MATERIALIZED VIEW",
    "table constraint": "CONSTRAINT",
    "domain constraint": "CONSTRAINT",
}


def comment_sql(c: Comment, text: str | None) -> str:
    target = c.identity
    if c.object_type in ("table constraint", "domain constraint", "trigger"):
        name, _, on = c.identity.rpartition(" on ")
        domain = "DOMAIN " if c.object_type == "domain constraint" else ""
        target = f"{name} ON {domain}{on}"
    what = _COMMENT_ON.get(c.object_type, c.object_type.upper())
    return f"COMMENT ON {what} {target} IS {ql(text) if text is not None else 'NULL'}"


def _comment(self: _Builder, c: Change) -> None:
    com: Comment = c.facts[0] or c.facts[1]
    text = com.text if c.kind is not Kind.EXTRA_COMMENT else None
    online = com.object_type in ("index", "table constraint")
    phase = "drop_dependants" if text is None else "comments"
    self.add(
        phase,
        f"comment on {c.name}",
        [Statement(comment_sql(com, text), online=online and text is not None)],
        (c,),
        order=-3,
    )
