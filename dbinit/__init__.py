"""dbinit: make a SQLite database match a declared schema, safely.

Public API only: `ensure_database_ready`, `DbInitError`, `__version__`.
Heavy modules are imported when first needed, so `import dbinit` stays cheap.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

from dbinit.errors import DbInitError

if TYPE_CHECKING:
    from dbinit.report import Report

__version__ = "0.2.0"
__all__ = ["DbInitError", "__version__", "ensure_database_ready"]


def ensure_database_ready(
    database: str | os.PathLike[str] | None = None,
    schema_dir: str | os.PathLike[str] | None = None,
    *,
    timeout: float | None = None,
) -> Report:
    """Run `init` (create what is missing, safely) and return its report.

    Settings not given here come from `DBINIT_*`, `DATABASE_URL`, `.env` and
    `[tool.dbinit]` as for the CLI. Raises `DbInitError` (with `error_code`,
    `exit_code`, `retry_after`, `to_dict()`) when the database is not ready.
    Logging is left exactly as the host application configured it.
    """
    from dbinit import engine
    from dbinit.settings import load_settings

    overrides: dict[str, Any] = {
        "database_url": os.fspath(database) if database is not None else None,
        "schema_dir": os.fspath(schema_dir) if schema_dir is not None else None,
        "initialization_timeout": timeout,
    }
    settings = load_settings(**overrides)
    report = engine.execute("init", settings, engine.init)
    if report.error is not None:
        raise report.error
    return report
