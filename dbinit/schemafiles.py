"""Finding and reading the schema files: the same for every engine.

`*.sql` files below the schema folder (subfolders included, each real folder
visited once), in lexical order of their path relative to the folder, decoded
as UTF-8; each engine splits and checks the statements itself. Errors name the
file (and line, for bad bytes). This module never opens a database.
"""

from __future__ import annotations

import os
import stat
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dbinit.errors import PermissionDenied, SchemaError, SchemaMissing, TimeLimit


@dataclass(frozen=True, slots=True)
class Found:
    path: Path
    rel: str  # relative to the folder, with `/`
    shown: str  # as messages name it: the folder as the user named it, then `rel`


def find(folder: Path, display: str) -> list[Found]:
    """Every `*.sql` file of the folder, in lexical order of its relative path."""
    try:
        st = folder.stat()
    except PermissionError as exc:
        raise PermissionDenied(f"Cannot read schema folder {display}: {exc.strerror}") from None
    except OSError as exc:  # missing, a name too long, a symlink loop, …
        raise SchemaMissing(f"Schema folder {display} does not exist ({exc.strerror})") from None
    if not stat.S_ISDIR(st.st_mode):
        raise SchemaMissing(f"Schema folder {display} is not a folder")
    found = []
    for path in _sql_files(folder, display):
        rel = path.relative_to(folder).as_posix()
        found.append(Found(path, rel, f"{display.rstrip('/')}/{rel}"))
    if not found:
        raise SchemaMissing(f"Schema folder {display} has no *.sql files")
    return sorted(found, key=lambda f: f.rel)


def load_time_limit(where: str = "") -> TimeLimit:
    """The overall time limit reached while the schema files are loaded (read,
    split, executed, read back, linted): 75 `time_limit`, naming the load, where
    it stopped and the setting to raise."""
    at = f" (stopped at {where})" if where else ""
    return TimeLimit(
        f"Loading the schema files did not finish within the time limit{at}; raise "
        "--timeout (DBINIT_INITIALIZATION_TIMEOUT) if the files are meant to be this large",
        details="the overall time limit (--timeout) bounds the schema load too",
    )


def within(deadline: float | None, where: str = "") -> None:
    """Stop the schema load once the overall time limit (`deadline`, a
    time.monotonic() value) is past: `load_time_limit`."""
    if deadline is not None and time.monotonic() > deadline:
        raise load_time_limit(where)


def read_text(found: Found, digest: Any) -> str:
    """The file's text; its name and bytes go into `digest` (the schema checksum)."""
    return decode(_read(found, digest), found.shown)


def checksum(folder: Path, display: str) -> tuple[tuple[str, ...], str]:
    """The files' names (as shown) and the schema checksum of their names and
    bytes, as `read_text` computes it, without decoding or splitting anything."""
    import hashlib

    digest = hashlib.sha256()
    found = find(folder, display)
    for f in found:
        _read(f, digest)
    return tuple(f.shown for f in found), digest.hexdigest()


def _read(found: Found, digest: Any) -> bytes:
    try:
        data = found.path.read_bytes()
    except PermissionError as exc:
        raise PermissionDenied(f"Cannot read schema file {found.shown}: {exc.strerror}") from exc
    except OSError as exc:
        raise SchemaError(f"{found.shown}: cannot read: {exc.strerror or exc}") from exc
    digest.update(found.rel.encode("utf-8", "surrogateescape") + b"\0")
    digest.update(data)  # not concatenated: that would copy the file once more
    digest.update(b"\0")
    return data


def _sql_files(folder: Path, display: str) -> list[Path]:
    """Every *.sql file below `folder`; an unreadable folder is an error, not a skip."""

    def refuse(exc: OSError) -> None:
        where = Path(exc.filename or folder)
        try:
            shown = f"{display.rstrip('/')}/{where.relative_to(folder).as_posix()}"
        except ValueError:
            shown = display
        raise PermissionDenied(f"Cannot read schema folder {shown.rstrip('/.')}: {exc.strerror}")

    found: list[Path] = []
    # Each real folder is visited once (by the first path that reaches it): links
    # back to `.` or a parent would otherwise make the walk exponential.
    seen = {_identity(folder)}
    for root, dirs, names in os.walk(folder, onerror=refuse, followlinks=True):
        dirs.sort()
        dirs[:] = [d for d in dirs if _first_visit(Path(root) / d, seen)]
        for name in names:
            if not name.endswith(".sql"):
                continue
            path = Path(root) / name
            shown = f"{display.rstrip('/')}/{path.relative_to(folder).as_posix()}"
            try:
                mode = path.stat().st_mode
            except OSError as exc:  # a dangling symlink would silently drop objects
                raise SchemaError(f"{shown}: cannot read: {exc.strerror}") from None
            if stat.S_ISREG(mode):
                found.append(path)
            elif not stat.S_ISDIR(mode):
                raise SchemaError(f"{shown}: not a regular file")
    return found


def _identity(folder: Path) -> tuple[int, int]:
    st = folder.stat()
    return st.st_dev, st.st_ino


def _first_visit(folder: Path, seen: set[tuple[int, int]]) -> bool:
    """Whether this real folder is new (then it is marked seen); a folder that
    cannot be inspected is kept, so the walk reports it as unreadable."""
    try:
        key = _identity(folder)
    except OSError:
        return True
    if key in seen:
        return False
    seen.add(key)
    return True


def decode(data: bytes, shown: str) -> str:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise SchemaError(f"{shown}:{line}: not valid UTF-8 (byte {exc.start})") from exc
    nul = text.find("\0")
    if nul != -1:
        raise SchemaError(
            f"{shown}:{text.count(chr(10), 0, nul) + 1}: NUL character in schema file"
        )
    return text
