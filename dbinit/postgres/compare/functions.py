"""Functions, procedures and aggregates, keyed by signature: a changed body is replaced
in place; a changed result type, kind or parameter names (which `CREATE OR REPLACE`
cannot change) drop the function, with what depends on it, and create it all again."""

from __future__ import annotations

from dbinit.changes import Change, Safety
from dbinit.plan import Statement
from dbinit.postgres.compare.hazards import Facet
from dbinit.postgres.compare.named import _named
from dbinit.postgres.model import Function, Schema


def compare_functions(desired: Schema, live: Schema) -> list[Change]:
    """A declared function whose parameter names differ from a live one's of the
    same signature (name and input types) is that function, changed: the two
    cannot coexist."""
    have = dict(live.functions)
    for key, f in desired.functions.items():
        if key in have or not f.signature:
            continue
        same = next(
            (
                g
                for g in live.functions.values()
                if g.signature == f.signature and g.key not in desired.functions
            ),
            None,
        )
        if same is not None:
            del have[same.key]
            have[key] = same
    return _named(
        "function",
        desired.functions,
        have,
        _function_changed,
        table_of=lambda f: f.name,
        name_of=lambda f: f.key,
    )


def _function_changed(d: Function, lv: Function) -> list[Facet]:
    """The new definition replaces the old (the planner writes it, as for a new
    one); when `CREATE OR REPLACE` cannot, the old is dropped first, given its
    schema-qualified quoted name, and what depends on it is created again
    (`dependants`)."""
    why = [
        what
        for what, old, new in (
            ("kind", lv.kind, d.kind),
            ("result type", lv.returns, d.returns),
            # a procedure's arguments print with their mode: not a name's change
            ("parameter names", lv.key, d.key if lv.kind == d.kind else lv.key),
        )
        if old != new
    ]
    if not why:
        return [Facet("definition", Safety.SAFE, (), "definition differs")]
    drop = f"DROP {lv.kind.upper()}"
    return [
        Facet(
            "replaced",
            Safety.SAFE,
            (),
            f"{', '.join(why)} differ: dropped and created again, with what depends on it",
            sql=((0, lambda q: [Statement(f"{drop} {q}({lv.arguments})")]),),
            dependants=True,
        )
    ]
