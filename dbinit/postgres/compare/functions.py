"""Functions and procedures, keyed by signature: a changed body is replaced in place."""

from __future__ import annotations

from dbinit.changes import Change, Safety
from dbinit.postgres.compare.hazards import Facet
from dbinit.postgres.compare.named import _named
from dbinit.postgres.model import Schema


def compare_functions(desired: Schema, live: Schema) -> list[Change]:
    return _named(
        "function",
        desired.functions,
        live.functions,
        lambda d, lv: [Facet("definition", Safety.SAFE, (), "definition differs")],
        table_of=lambda f: f.name,
        name_of=lambda f: f.key,
    )
