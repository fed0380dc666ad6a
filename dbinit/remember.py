"""The remembered desired state (contract §4, postgres.md "The desired state is
remembered"): the desired model a writing run built, stored in the database
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
import hashlib
import json
from collections.abc import Mapping
from typing import Any

from dbinit.logs import log

# Bumped whenever the encoding, or a model class's meaning, changes in a way the
# dbinit version alone would not tell (development builds share a version).
FORMAT = 1
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
    """The model as JSON text (deterministic)."""
    return json.dumps(_encode(value), sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def seal(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def loads(text: str, digest: str, classes: Mapping[str, type], expect: type) -> Any | None:
    """The model stored as `text`, or None when it is not exactly what dbinit
    stored (seal, classes, fields) or not an `expect`."""
    try:
        if not isinstance(text, str) or seal(text) != digest:
            raise ValueError("the seal does not match the stored text")
        value = _decode(json.loads(text), classes)
        if not isinstance(value, expect):
            raise ValueError(f"not a {expect.__name__}")
        return value
    except (ValueError, TypeError, KeyError, RecursionError, MemoryError, UnicodeError) as exc:
        log.info("desired.remembered_ignored", reason=f"{type(exc).__name__}: {exc}"[:200])
        return None


def _encode(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, enum.Enum):
        return {"e": type(value).__name__, "v": _encode(value.value)}
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        fields = {f.name: _encode(getattr(value, f.name)) for f in dataclasses.fields(value)}
        return {"c": type(value).__name__, "f": fields}
    if isinstance(value, tuple | list):
        return {"t": [_encode(v) for v in value]}
    if isinstance(value, frozenset):
        return {"s": sorted((_encode(v) for v in value), key=repr)}
    if isinstance(value, dict):
        return {"d": [[_encode(k), _encode(v)] for k, v in value.items()]}
    raise TypeError(f"cannot remember a {type(value).__name__}")


def _decode(value: Any, classes: Mapping[str, type]) -> Any:
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if not isinstance(value, dict) or len(value) not in (1, 2):
        raise ValueError("unexpected JSON shape")
    if "t" in value and len(value) == 1:
        return tuple(_decode(v, classes) for v in _list(value["t"]))
    if "d" in value and len(value) == 1:
        items = _list(value["d"])
        out: dict[Any, Any] = {}
        for item in items:
            pair = _list(item)
            if len(pair) != 2:
                raise ValueError("a mapping entry is not a pair")
            out[_hashable(_decode(pair[0], classes))] = _decode(pair[1], classes)
        return out
    if "s" in value and len(value) == 1:
        return frozenset(_hashable(_decode(v, classes)) for v in _list(value["s"]))
    if "e" in value and "v" in value:
        cls = _class(classes, value["e"])
        if not issubclass(cls, enum.Enum):
            raise ValueError(f"{value['e']} is not an enumeration")
        return cls(_decode(value["v"], classes))
    if "c" in value and "f" in value:
        cls = _class(classes, value["c"])
        if not dataclasses.is_dataclass(cls):
            raise ValueError(f"{value['c']} is not a model class")
        given = value["f"]
        if not isinstance(given, dict):
            raise ValueError("fields are not a mapping")
        names = [f.name for f in dataclasses.fields(cls) if f.init]
        if sorted(given) != sorted(names):
            raise ValueError(f"{value['c']}: stored fields differ from the class's")
        return cls(**{name: _decode(given[name], classes) for name in names})
    raise ValueError("unexpected JSON shape")


def _class(classes: Mapping[str, type], name: Any) -> type:
    if not isinstance(name, str) or name not in classes:
        raise ValueError(f"unknown class {str(name)[:60]!r}")
    return classes[name]


def _list(value: Any) -> list[Any]:
    if not isinstance(value, list):
        raise ValueError("expected a list")
    return value


def _hashable(value: Any) -> Any:
    hash(value)  # a TypeError for an unhashable key: ignored like any other damage
    return value
