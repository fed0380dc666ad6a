"""Enum, domain and composite types."""

from __future__ import annotations

from dbinit.changes import Hazard, Safety
from dbinit.postgres.compare.hazards import data_loss
from dbinit.postgres.model import CompositeType, Domain, EnumType, Schema


def _declared_valid(desired: Schema, domain: str, check: str) -> bool:
    """Whether the files declare domain `domain`'s check `check` validated (not
    NOT VALID); a check the files do not declare is compared on its own."""
    d = desired.types.get(domain)
    if isinstance(d, Domain):
        for k in d.checks:
            if k.name == check:
                return k.validated
    return True


def enum_additions(d: EnumType, lv: EnumType) -> list[tuple[str, str | None, str | None]]:
    """The labels to add to `lv` to make it `d`, as (label, before, after) with
    the neighbour it goes next to; empty when `lv`'s labels are not a
    subsequence of `d`'s in the same order (then values would go or move)."""
    it = iter(d.labels)
    if not all(label in it for label in lv.labels):
        return []
    out: list[tuple[str, str | None, str | None]] = []
    have = set(lv.labels)
    for i, label in enumerate(d.labels):
        if label in have:
            continue
        after = d.labels[i - 1] if i > 0 else None
        before = next((x for x in d.labels[i + 1 :] if x in have), None)
        out.append((label, before if after is None else None, after))
    return out


def _in_columns(live: Schema, name: str) -> bool:
    """Whether a live table column (or another type) holds values of type `name`."""
    return any(r[0] in ("column", "type") for r in live.dependants(("type", name)))


def _type_changed(
    d: EnumType | Domain | CompositeType,
    lv: EnumType | Domain | CompositeType,
    *,
    in_use: bool = True,
) -> list[tuple[Safety, tuple[Hazard, ...], str]]:
    if isinstance(d, EnumType) and isinstance(lv, EnumType):
        if enum_additions(d, lv):
            new = [x for x in d.labels if x not in lv.labels]
            return [(Safety.SAFE, (), f"enum values added: {', '.join(new)}")]
        gone = [x for x in lv.labels if x not in d.labels]
        if gone:
            return [
                (
                    Safety.DESTRUCTIVE,
                    (data_loss(f"rows holding {', '.join(gone)} cannot be converted"),),
                    f"enum values removed: {', '.join(gone)}",
                )
            ]
        return [(Safety.REBUILD, (), f"enum values reordered: {', '.join(d.labels)}")]
    if isinstance(d, Domain) and isinstance(lv, Domain):
        out: list[tuple[Safety, tuple[Hazard, ...], str]] = []
        if d.base_type != lv.base_type or d.collation != lv.collation:
            out.append(
                (Safety.REBUILD, (), f"base type {lv.base_type} → {d.base_type} or collation")
            )
        if d.default != lv.default:
            out.append((Safety.SAFE, (), f"default {lv.default} → {d.default}"))
        if d.notnull != lv.notnull:
            scan = Hazard("validation_scan", f"scans every column of type {d.name}")
            if d.notnull:
                out.append((Safety.REBUILD, (scan,), "NOT NULL added"))
            else:
                out.append((Safety.SAFE, (), "NOT NULL dropped"))
        if d.checks != lv.checks or any(not k.validated for k in lv.checks):
            out.append(
                (
                    Safety.SAFE,
                    (Hazard("validation_scan", f"scans every column of type {d.name}"),),
                    "checks differ",
                )
            )
        return out or [(Safety.SAFE, (), "definition differs")]
    if isinstance(d, CompositeType) and isinstance(lv, CompositeType):
        return _composite_changed(d, lv, in_use=in_use)
    return [(Safety.REBUILD, (), f"{type(lv).__name__} → {type(d).__name__}")]


def _composite_changed(
    d: CompositeType, lv: CompositeType, *, in_use: bool
) -> list[tuple[Safety, tuple[Hazard, ...], str]]:
    """Attributes added: safe (no table is rewritten); an attribute's type changed:
    safe while no column holds the type (PostgreSQL refuses it otherwise); dropped:
    destructive."""
    out: list[tuple[Safety, tuple[Hazard, ...], str]] = []
    gone = [a.name for a in lv.attributes if d.attribute(a.name) is None]
    added = [a.name for a in d.attributes if lv.attribute(a.name) is None]
    changed = [a.name for a in d.attributes if (la := lv.attribute(a.name)) is not None and la != a]
    if added:
        out.append((Safety.SAFE, (), f"attributes added: {', '.join(added)}"))
    if changed:
        safety = Safety.REBUILD if in_use else Safety.SAFE
        out.append((safety, (), f"attribute types changed: {', '.join(changed)}"))
    if gone:
        loss = data_loss(f"attributes {', '.join(gone)} of every value of type {d.name}")
        out.append((Safety.DESTRUCTIVE, (loss,), f"attributes dropped: {', '.join(gone)}"))
    return out or [(Safety.REBUILD, (), "attributes reordered")]
