"""Comments on every kind of object."""

from __future__ import annotations

from dbinit.changes import Change, Kind, Safety
from dbinit.postgres.compare.named import _ABSENT, _EXTRA
from dbinit.postgres.model import Comment, Schema
from dbinit.postgres.quote import printed


def compare_comments(desired: Schema, live: Schema) -> list[Change]:
    out: list[Change] = []
    # Extensions the files do not declare are not managed: nor their comments.
    declared = {printed(name) for name in desired.extensions}
    live_comments = {
        k: v for k, v in live.comments.items() if k[0] != "extension" or k[1] in declared
    }
    for key, d in desired.comments.items():
        lv = live_comments.get(key)
        if lv is None or lv.text != d.text:
            out.append(
                _comment_change(Kind.MISSING_COMMENT if lv is None else Kind.COMMENT_CHANGED, d, lv)
            )
    for key, lv in live_comments.items():
        if key not in desired.comments:
            out.append(_comment_change(Kind.EXTRA_COMMENT, None, lv))
    return out


def _comment_change(kind: Kind, d: Comment | None, lv: Comment | None) -> Change:
    c = d or lv
    assert c is not None
    return Change(
        kind,
        "comment",
        f"{c.object_type} {c.identity}",
        c.identity,
        Safety.SAFE,
        _ABSENT if lv is None else _EXTRA if d is None else "text differs",
        before=lv.text if lv else None,
        after=d.text if d else None,
        extra=d is None,
        facts=(d, lv),
    )
