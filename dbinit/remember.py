"""The remembered desired state (docs/usage.md and docs/library.md, "The desired
state is remembered"): the desired model a writing run built, stored in the database
under a key, so that a later run with the same key need not build it again.

The key is the SHA-256 of everything that decides what the files mean: the
schema files' names and bytes (their checksum), dbinit's version, this
module's format, the engine's version and the settings that change parsing
(each engine says which). The stored text is a JSON encoding of the engine's
frozen model dataclasses, sealed with its own SHA-256.

Loading is strict and never trusts half-way: a class outside the engine's
model registry, a field the class does not have, a broken seal, a truncated
or deeply nested text, anything unexpected, and the stored model is ignored
(`None`): the caller builds the desired state from the files as before.

Only `dataclass`, `tuple`, `dict`, `Enum` and JSON scalars are encoded; no
code is ever named or run by the stored text (no pickle). This module never
opens a database: each engine stores and reads the text itself.
"""

from __future__ import annotations

import dataclasses
import enum
import functools
import hashlib
import json
import sys
import types
import typing
from collections.abc import Callable, Mapping
from typing import Any

from dbinit.logs import log

# Bumped whenever the encoding, or a model class's meaning, changes in a way the
# dbinit version alone would not tell (development builds share a version).
FORMAT = 4  # 4 (PostgreSQL): Column.statistics, .options, .storage, .compression,
#   .type_storage; Table.of_type, .clustered_on; RangeType; Index.statistics;
#   View.defaults; MaterializedView.columns, .clustered_on; Sequence.unlogged;
#   Partition.options, .row_security, .force_row_security, .replica_identity,
#   .clustered_on, .columns
# 3 (PostgreSQL): CompositeType, Collation, TextSearch*; Schema.collations, .ts_*
# 2 (PostgreSQL): Function.returns, .signature; Schema.depends, .reprinted, .behind;
#   Constraint.index_spec; Table.replica_identity, .inherits; Extension.pinned
STATE_TABLE = "_dbinit_state"
KEEP = 5  # the newest models kept per database (a rollback to the previous files hits)


def state_key(checksum: str, engine: str, engine_version: str, parts: Mapping[str, Any]) -> str:
    """The key of the desired model built from files with `checksum` on this
    engine version with these parsing settings (`parts`)."""
    from dbinit import __version__

    material = json.dumps(
        {
            "format": FORMAT,
            "dbinit": __version__,
            "files": checksum,
            "engine": engine,
            "engine_version": engine_version,
            "settings": dict(sorted(parts.items())),
        },
        sort_keys=True,
        separators=(",", ":"),
        default=list,
    )
    return hashlib.sha256(material.encode()).hexdigest()


def registry(*modules: Any) -> dict[str, type]:
    """Every dataclass and Enum defined in `modules`, by name: what a stored model
    may contain."""
    out: dict[str, type] = {}
    for module in modules:
        for name, value in vars(module).items():
            if (
                isinstance(value, type)
                and getattr(value, "__module__", None) == module.__name__
                and (dataclasses.is_dataclass(value) or issubclass(value, enum.Enum))
            ):
                out[name] = value
    return out


def dumps(value: Any) -> str:
    """The model as JSON text (deterministic): a table of the classes it uses,
    with their field names, then the value, each container a list whose first
    item says what it is (0 tuple, 1 mapping, 2 set, 3 enum, 4+ a class)."""
    classes: dict[type, int] = {}
    root = _encode(value, classes)
    table = [
        [cls.__name__, [f.name for f in dataclasses.fields(cls)] if _is_class(cls) else None]
        for cls in classes
    ]
    # ASCII only: a name that is not valid UTF-8 (a surrogate escape of a file
    # name) is stored as a JSON escape, which every database can hold.
    return json.dumps({"classes": table, "root": root}, separators=(",", ":"))


def seal(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def loads(text: str, digest: str, classes: Mapping[str, type], expect: type) -> Any | None:
    """The model stored as `text`, or None when it is not exactly what dbinit
    stored (seal, classes, fields) or not an `expect`."""
    try:
        if not isinstance(text, str) or seal(text) != digest:
            raise ValueError("the seal does not match the stored text")
        doc = json.loads(text)
        if not isinstance(doc, dict) or set(doc) != {"classes", "root"}:
            raise ValueError("unexpected JSON shape")
        value = _decoder(_table(doc["classes"], classes))(doc["root"])
        if not isinstance(value, expect):
            raise ValueError(f"not a {expect.__name__}")
        return value
    except (
        ValueError,
        TypeError,
        KeyError,
        IndexError,
        RecursionError,
        MemoryError,
        UnicodeError,
    ) as exc:
        log.info("desired.remembered_ignored", reason=f"{type(exc).__name__}: {exc}"[:200])
        return None


_TUPLE, _MAPPING, _SET, _ENUM, _CLASS = 0, 1, 2, 3, 4
_SCALARS = (str, int, float, bool, type(None))


def _is_class(cls: type) -> bool:
    return dataclasses.is_dataclass(cls)


def _encode(value: Any, classes: dict[type, int]) -> Any:
    if isinstance(value, _SCALARS) and not isinstance(value, enum.Enum):
        return value
    if isinstance(value, enum.Enum):
        index = classes.setdefault(type(value), len(classes))
        return [_ENUM, index, _encode(value.value, classes)]
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        index = classes.setdefault(type(value), len(classes))
        fields = [_encode(getattr(value, f.name), classes) for f in dataclasses.fields(value)]
        return [_CLASS + index, *fields]
    if isinstance(value, tuple | list):
        return [_TUPLE, *(_encode(v, classes) for v in value)]
    if isinstance(value, frozenset):
        items = sorted((_encode(v, classes) for v in value), key=repr)
        return [_SET, *items]
    if isinstance(value, dict):
        flat: list[Any] = [_MAPPING]
        for k, v in value.items():
            flat += (_encode(k, classes), _encode(v, classes))
        return flat
    raise TypeError(f"cannot remember a {type(value).__name__}")


def _table(stored: Any, allowed: Mapping[str, type]) -> list[type]:
    """The stored class table, each entry checked against the class dbinit has
    now: same name, same fields in the same order."""
    if not isinstance(stored, list):
        raise ValueError("the class table is not a list")
    out = []
    for entry in stored:
        if not (isinstance(entry, list) and len(entry) == 2 and isinstance(entry[0], str)):
            raise ValueError("a class table entry is malformed")
        name, fields = entry
        cls = allowed.get(name)
        if cls is None:
            raise ValueError(f"unknown class {name[:60]!r}")
        if _is_class(cls):
            now = [f.name for f in dataclasses.fields(cls)]
            if fields != now or not all(f.init for f in dataclasses.fields(cls)):
                raise ValueError(f"{name}: stored fields differ from the class's")
        elif not (issubclass(cls, enum.Enum) and fields is None):
            raise ValueError(f"{name} is not a model class")
        out.append(cls)
    return out


Check = Callable[[tuple[Any, ...]], bool]


def _test(tp: Any, x: str, names: dict[str, Any], depth: int = 0) -> str:
    """A Python expression that is true when `x` fits the annotation `tp` (the
    shapes the model classes use). Built from dbinit's own annotations only,
    never from stored text."""
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    y = f"_v{depth}"
    if tp is Any or tp is object:
        return "True"
    if tp is type(None):
        return f"{x} is None"
    if tp in (str, bool, int):
        return f"type({x}) is {tp.__name__}"
    if tp is float:
        return f"type({x}) in (float, int)"
    if origin in (typing.Union, types.UnionType):
        return "(" + " or ".join(_test(a, x, names, depth) for a in args) + ")"
    if origin is typing.Literal:
        return f"{x} in {tuple(args)!r}"
    if origin is tuple and len(args) == 2 and args[1] is Ellipsis:
        inner = _test(args[0], y, names, depth + 1)
        return f"(type({x}) is tuple and all({inner} for {y} in {x}))"
    if origin is tuple:
        parts = [_test(a, f"{x}[{i}]", names, depth) for i, a in enumerate(args)]
        return f"(type({x}) is tuple and len({x}) == {len(args)} and " + " and ".join(parts) + ")"
    if origin in (dict, Mapping):
        k, w = f"_k{depth}", f"_w{depth}"
        key = _test(args[0], k, names, depth + 1)
        val = _test(args[1], w, names, depth + 1)
        return f"(type({x}) is dict and all({key} and {val} for {k}, {w} in {x}.items()))"
    if origin is frozenset:
        inner = _test(args[0], y, names, depth + 1)
        return f"(type({x}) is frozenset and all({inner} for {y} in {x}))"
    if isinstance(tp, type) and (dataclasses.is_dataclass(tp) or issubclass(tp, enum.Enum)):
        name = f"_C{len(names)}"
        names[name] = tp
        return f"type({x}) is {name}"
    raise TypeError(f"cannot check values of {tp!r}")


@functools.cache
def _checks(cls: type) -> Check:
    """One compiled test of a class's field values, in field order."""
    hints = typing.get_type_hints(cls, vars(sys.modules[cls.__module__]))
    names: dict[str, Any] = {}
    tests = [_test(hints[f.name], f"a[{i}]", names) for i, f in enumerate(dataclasses.fields(cls))]
    check: Check = eval("lambda a: " + " and ".join(tests or ["True"]), names)
    return check


def _decoder(table: list[type]) -> Any:
    sizes = [len(dataclasses.fields(c)) if _is_class(c) else -1 for c in table]
    checks = [_checks(c) if _is_class(c) else None for c in table]

    def dec(v: Any) -> Any:
        if type(v) is not list:
            if isinstance(v, _SCALARS):
                return v
            raise ValueError("unexpected JSON value")
        code = v[0]
        items = tuple([x if type(x) is not list else dec(x) for x in v[1:]])
        if code == _TUPLE:
            return tuple(items)
        if code == _MAPPING:
            if len(items) % 2:
                raise ValueError("a mapping has an odd number of items")
            return dict(zip(items[::2], items[1::2], strict=True))
        if code == _SET:
            return frozenset(items)
        if type(code) is not int or code < 0:
            raise ValueError("unexpected container code")
        if code == _ENUM:
            if len(items) != 2 or type(items[0]) is not int or sizes[items[0]] != -1:
                raise ValueError("a malformed enum value")
            return table[items[0]](items[1])
        index = code - _CLASS
        if index >= len(table) or sizes[index] != len(items):
            raise ValueError("an object does not match its class")
        if not checks[index](items):  # type: ignore[misc]
            raise ValueError(f"a value does not fit its field in {table[index].__name__}")
        return table[index](*items)

    return dec
