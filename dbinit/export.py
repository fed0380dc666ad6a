"""Writing `inspect --output-dir`: the engine's schema files, all or nothing.

Engine-neutral: the engine renders the files (`Backend.export`); this module
only puts them on disk, through a temporary folder moved into place.
"""

from __future__ import annotations

import errno
import os
import shutil
import tempfile
from pathlib import Path

from dbinit.errors import DbInitError, IOFailure, Refused, from_os


def write_schema_files(folder: Path, files: dict[str, str]) -> None:
    """Write every file into a temporary folder beside `folder`, then move it
    into place: a failure leaves no half-written folder behind."""
    if folder.exists() and any(folder.rglob("*.sql")):
        raise Refused(
            f"Output folder {folder} already holds .sql files; choose a new or empty folder",
            details="nothing was written",
        )
    parent = folder.absolute().parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=".dbinit-inspect-", dir=parent))
    except OSError as exc:
        raise from_os(exc, folder, creating_parent=True, what="output") from None
    try:
        for name, text in files.items():
            target = staging / name
            try:
                target.write_text(text, encoding="utf-8")
            except OSError as exc:
                raise _output_error(exc, folder / name) from None
        try:
            if folder.exists():  # an empty folder, or one without .sql files: keep the rest
                for path in sorted(staging.iterdir()):
                    os.replace(path, folder / path.name)
            else:
                os.rename(staging, folder)
        except OSError as exc:
            raise _output_error(exc, folder) from None
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _output_error(exc: OSError, path: Path) -> DbInitError:
    if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return from_os(exc, path)  # permission denied, 77
    return IOFailure(
        f"Cannot write {path}: {exc.strerror or exc}; nothing was written",
        details=f"{type(exc).__name__}: errno {exc.errno}",
    )
