"""Rename hints: which renames apply, and the live schema as it will be once they ran
(`renamed_live`)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace

from dbinit.changes import Change, Kind, Safety
from dbinit.postgres.compare.hazards import ACCESS_EXCLUSIVE, lock
from dbinit.postgres.compare.named import _column_of, _declared
from dbinit.postgres.model import NAMEDATALEN, Constraint, Schema, Table, Trigger, truncated
from dbinit.postgres.quote import literal as quote_literal
from dbinit.postgres.quote import printed as _ident


@dataclass(frozen=True, slots=True)
class Renames:
    """The renames the hints ask for and the live schema allows; names that
    follow (a constraint or index named after the old table or column, whose
    new-style name the files declare)."""

    tables: dict[str, str] = field(default_factory=dict)  # old -> new
    columns: dict[str, dict[str, str]] = field(default_factory=dict)  # new table -> old -> new
    constraints: dict[str, dict[str, str]] = field(default_factory=dict)  # new table -> old -> new
    indexes: dict[str, tuple[str, str]] = field(default_factory=dict)  # old -> (new table, new)
    sequences: dict[str, tuple[str, str]] = field(default_factory=dict)  # old -> (new table, new)

    def follow(self, table: str) -> list[tuple[str, str, str]]:
        """("constraint" | "index" | "sequence", old, new) of the names that follow
        on `table`."""
        out = [("constraint", a, b) for a, b in self.constraints.get(table, {}).items()]
        out += [("index", a, b) for a, (t, b) in self.indexes.items() if t == table]
        out += [("sequence", a, b) for a, (t, b) in self.sequences.items() if t == table]
        return out


def _renamed(dt: Table, renames: Renames) -> list[Change]:
    out: list[Change] = []
    t = dt.name
    old_table = next((a for a, b in renames.tables.items() if b == t), None)
    columns = renames.columns.get(t, {})
    follow = renames.follow(t)
    also = "; " + ", ".join(f"{k} {a} → {b}" for k, a, b in follow) if follow else ""
    if old_table is not None:
        out.append(
            Change(
                Kind.TABLE_RENAMED,
                "table",
                t,
                t,
                Safety.REBUILD,
                f"renamed from {old_table} ({_declared(dt)}); rows are kept{also}",
                before=old_table,
                after=t,
                hazards=(lock(ACCESS_EXCLUSIVE, old_table),),
            )
        )
        also = ""
    for old, new in columns.items():
        out.append(
            Change(
                Kind.COLUMN_RENAMED,
                "column",
                new,
                t,
                Safety.REBUILD,
                f"renamed from {old} ({_declared(_column_of(dt, new))}); values are kept{also}",
                column=new,
                before=old,
                after=new,
                hazards=(lock(ACCESS_EXCLUSIVE, t),),
            )
        )
        also = ""
    return out


def renamed_live(desired: Schema, live: Schema) -> tuple[Schema, Renames]:
    """`live` as it will be once the hinted renames have run, and the renames.

    A table hint applies when the new name is not live, the old one is and no
    file declares it; a column hint likewise within its table. A hint whose old
    name is gone (already renamed) is no change. PostgreSQL carries what refers
    to a renamed table or column along (constraints, indexes, foreign keys,
    triggers, comments); the definitions here are adjusted the same way. A
    constraint or index named after the old names (`users_pkey`) follows when
    the files declare the new-style name (`members_pkey`) and it is free.
    """
    tables: dict[str, str] = {}
    for dt in desired.tables.values():
        # A hint may name the table by its full name; the server kept 63 bytes of it.
        old = truncated(dt.renamed_from) if dt.renamed_from else None
        if (
            old
            and dt.name not in live.tables
            and old in live.tables
            and old not in desired.tables
            and old not in tables
        ):
            tables[old] = dt.name
    columns: dict[str, dict[str, str]] = {}
    for dt in desired.tables.values():
        inverse = {b: a for a, b in tables.items()}
        lt = live.tables.get(inverse.get(dt.name, dt.name))
        if lt is None:
            continue
        for dc in dt.columns:
            old = truncated(dc.renamed_from) if dc.renamed_from else None
            if (
                old
                and lt.column(dc.name) is None
                and lt.column(old) is not None
                and dt.column(old) is None
            ):
                columns.setdefault(dt.name, {})[old] = dc.name
    if not tables and not columns:
        return live, Renames()
    renames = Renames(tables, columns)
    return _apply(desired, live, renames), renames


_TOKENS = re.compile(r"""'(?:[^']|'')*'|"(?:[^"]|"")*"|[A-Za-z_][A-Za-z0-9_$]*""")


def _subst(text: str, names: dict[str, str]) -> str:
    """`text` (SQL the server printed) with the identifiers in `names` replaced."""
    if not names:
        return text

    def one(m: re.Match[str]) -> str:
        tok = m.group()
        if tok.startswith("'"):
            return tok
        name = tok[1:-1].replace('""', '"') if tok.startswith('"') else tok
        return _ident(names[name]) if name in names else tok

    return _TOKENS.sub(one, text)


def _apply(desired: Schema, live: Schema, r: Renames) -> Schema:
    tmap = r.tables

    def tname(name: str) -> str:
        return tmap.get(name, name)

    def cmap(table: str) -> dict[str, str]:
        return r.columns.get(tname(table), {})

    def on_table(text: str, old: str) -> str:
        """`… ON old …` (index spec, trigger definition) with the new table name."""
        if old not in tmap:
            return text
        schema = re.escape(_ident(live.schema) + ".")
        return re.sub(
            rf"(^|\s)ON ((?:{schema})?){re.escape(_ident(old))}(\s|$)",
            lambda m: f"{m.group(1)}ON {m.group(2)}{_ident(tmap[old])}{m.group(3)}",
            text,
            count=1,
        )

    def constraint(k: Constraint, table: str) -> Constraint:
        cols = cmap(table)
        definition = _subst(k.definition, cols)
        ref_table, ref_columns = k.ref_table, k.ref_columns
        if k.type == "f" and k.ref_table is not None:
            left, sep, right = k.definition.partition(" REFERENCES ")
            rcols = cmap(k.ref_table)
            m = re.match(rf"{re.escape(_ident(k.ref_table))}\(([^)]*)\)(.*)$", right, re.S)
            if sep and m:
                right = f"{_ident(tname(k.ref_table))}({_subst(m.group(1), rcols)}){m.group(2)}"
                definition = f"{_subst(left, cols)}{sep}{right}"
            ref_table = tname(k.ref_table)
            ref_columns = tuple(rcols.get(c, c) for c in k.ref_columns)
        return replace(
            k,
            table=tname(table),
            definition=definition,
            columns=tuple(cols.get(c, c) for c in k.columns),
            ref_table=ref_table,
            ref_columns=ref_columns,
        )

    tables: dict[str, Table] = {}
    for name, lt in live.tables.items():
        cols = cmap(name)
        tables[tname(name)] = replace(
            lt,
            name=tname(name),
            columns=tuple(replace(c, name=cols.get(c.name, c.name)) for c in lt.columns),
            constraints=tuple(constraint(k, name) for k in lt.constraints),
        )
    indexes = {
        k: replace(
            ix,
            table=tname(ix.table),
            spec=_subst_after_on(on_table(ix.spec, ix.table), cmap(ix.table)),
            definition=_subst_after_on(on_table(ix.definition, ix.table), cmap(ix.table)),
        )
        for k, ix in live.indexes.items()
    }
    triggers: dict[tuple[str, str], Trigger] = {}
    for tg in live.triggers.values():
        definition = _subst_after_on(on_table(tg.definition, tg.table), cmap(tg.table))
        triggers[(tname(tg.table), tg.name)] = replace(
            tg, table=tname(tg.table), definition=definition
        )
    sequences = {
        k: replace(
            s,
            owned_by=(tname(s.owned_by[0]), cmap(s.owned_by[0]).get(s.owned_by[1], s.owned_by[1])),
        )
        if s.owned_by is not None
        else s
        for k, s in live.sequences.items()
    }
    views = {k: replace(v, definition=_subst(v.definition, tmap)) for k, v in live.views.items()}
    mviews = {
        k: replace(v, definition=_subst(v.definition, tmap))
        for k, v in live.materialized_views.items()
    }
    comments = {}
    prefix = _ident(live.schema) + "."
    for (typ, identity), com in live.comments.items():
        if typ in ("table", "table column") and identity.startswith(prefix):
            parts = _TOKENS.findall(identity[len(prefix) :])
            names = [p[1:-1].replace('""', '"') if p.startswith('"') else p for p in parts]
            if names:
                table = names[0]
                renamed = [tname(table)] + [cmap(table).get(c, c) for c in names[1:]]
                identity = prefix + ".".join(_ident(n) for n in renamed)
        comments[(typ, identity)] = replace(com, identity=identity)
    # A policy's expressions and a partition's parent follow a renamed table and columns.
    policies = {
        (tname(t), n): replace(
            p,
            table=tname(t),
            using=_subst(p.using, cmap(t)) if p.using is not None else None,
            check=_subst(p.check, cmap(t)) if p.check is not None else None,
        )
        for (t, n), p in live.policies.items()
    }
    partitions = {k: replace(p, parent=tname(p.parent)) for k, p in live.partitions.items()}
    out = replace(
        live,
        tables=tables,
        indexes=indexes,
        triggers=triggers,
        sequences=sequences,
        views=views,
        materialized_views=mviews,
        comments=comments,
        policies=policies,
        partitions=partitions,
    )
    return _follow_names(desired, out, r)


def _subst_after_on(text: str, cols: dict[str, str]) -> str:
    """Column names replaced in the part of an index spec or trigger definition
    that names columns (from the table's `ON` on, and `UPDATE OF …`)."""
    if not cols:
        return text
    head, sep, rest = text.partition(" ON ")
    if " OF " in head:
        before, of, columns = head.partition(" OF ")
        head = before + of + _subst(columns, cols)
    return head + sep + _subst(rest, cols) if sep else _subst(text, cols)


def _object_name(base: str, label: str) -> str:
    """The name PostgreSQL chooses for `base`'s `label` object (`users_pkey`):
    `base` cut so that the whole fits in 63 bytes (makeObjectName)."""
    room = NAMEDATALEN - 1 - len(label.encode()) - 1
    return f"{truncated(base) if len(base.encode()) <= room else _cut(base, room)}_{label}"


def _cut(name: str, size: int) -> str:
    return name.encode()[:size].decode(errors="ignore")


def _renamed_derived(n: str, old: str, new: str) -> str:
    """`n` (a constraint or index name) with the table name it was derived from,
    `old`, replaced by `new`, also when the server cut `old` to make room."""
    if n.startswith(old + "_"):
        return _object_name(new, n[len(old) + 1 :])
    for i in range(len(n) - 1, 0, -1):  # the longest cut of `old` first: labels are short
        if n[i] == "_" and old.startswith(n[:i]) and _object_name(old, n[i + 1 :]) == n:
            return _object_name(new, n[i + 1 :])
    return n


def _follow_names(desired: Schema, live: Schema, r: Renames) -> Schema:
    old_of = {b: a for a, b in r.tables.items()}
    tables = dict(live.tables)
    indexes = dict(live.indexes)
    sequences = dict(live.sequences)
    for name, lt in live.tables.items():
        old, cols = old_of.get(name), r.columns.get(name, {})
        if old is None and not cols:
            continue

        def follows(
            n: str, name: str = name, old: str | None = old, cols: dict[str, str] = cols
        ) -> str:
            if old is not None:
                n = _renamed_derived(n, old, name)
            for a, b in cols.items():
                n = n.replace(f"_{a}_", f"_{b}_")
            return n

        dt = desired.tables.get(name)
        declared = {k.name for k in dt.constraints} if dt is not None else set()
        present = {k.name for k in lt.constraints}
        relations = set(indexes) | {k.name for t in tables.values() for k in t.constraints}
        new_cons = []
        for k in lt.constraints:
            new = follows(k.name)
            if new != k.name and new in declared and k.name not in declared and new not in present:
                r.constraints.setdefault(name, {})[k.name] = new
                present.add(new)
                k = replace(k, name=new)
            new_cons.append(k)
        tables[name] = replace(lt, constraints=tuple(new_cons))
        for key, ix in list(indexes.items()):
            if ix.table != name:
                continue
            new = follows(key)
            if (
                new != key
                and new in desired.indexes
                and key not in desired.indexes
                and new not in relations
            ):
                r.indexes[key] = (name, new)
                relations.add(new)
                del indexes[key]
                indexes[new] = replace(ix, name=new)
        # A serial column's sequence (`posts_id_seq`) follows too, and the column's
        # default with it: else a new sequence would start again at 1.
        for key, seq in list(sequences.items()):
            if seq.owned_by is None or seq.owned_by[0] != name:
                continue
            new = follows(key)
            if (
                new != key
                and new in desired.sequences
                and key not in desired.sequences
                and new not in sequences
                and new not in relations
            ):
                r.sequences[key] = (name, new)
                del sequences[key]
                sequences[new] = replace(seq, name=new)
                was, now = f"{quote_literal(_ident(key))}::regclass", quote_literal(_ident(new))
                tables[name] = replace(
                    tables[name],
                    columns=tuple(
                        replace(c, default=c.default.replace(was, now + "::regclass"))
                        if c.default
                        else c
                        for c in tables[name].columns
                    ),
                )
    return replace(live, tables=tables, indexes=indexes, sequences=sequences)
