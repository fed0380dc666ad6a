"""dbinit: make a SQLite database match a declared schema, safely.

Public API only: `ensure_database_ready`, `database_url`, `database_path`,
`DbInitError`, `__version__`. The distribution is named `dbinit-schema`.
Heavy modules are imported when first needed, so `import dbinit` stays cheap.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

from dbinit.errors import DbInitError

if TYPE_CHECKING:
    from pathlib import Path

    from dbinit.report import Report
    from dbinit.settings import Settings

__version__ = "0.2.0"
__all__ = [
    "DbInitError",
    "__version__",
    "database_path",
    "database_url",
    "ensure_database_ready",
]


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
    _warn_railway_default(settings)
    return report


def database_url(database: str | os.PathLike[str] | None = None) -> str:
    """The URL of the database dbinit uses, for the application to open the same one.

    Resolved as `ensure_database_ready` and the CLI resolve it (`database`, else
    `DBINIT_DATABASE_URL`, `DATABASE_URL`, `.env`, `[tool.dbinit]`, the Railway volume's
    `app.db`, `sqlite:///app.db`). A SQLite file comes back absolute
    (`sqlite:////data/app.db`), so the working directory no longer matters; a
    PostgreSQL URL comes back as configured, password included: never log it.
    Raises `DbInitError` (exit code 78) for a setting that does not load.
    """
    return _resolve(database)[0]


def database_path(database: str | os.PathLike[str] | None = None) -> Path | None:
    """The absolute path of the SQLite file `database_url()` names (for
    `sqlite3.connect`); None when the database is a PostgreSQL server."""
    return _resolve(database)[1]


def _resolve(database: str | os.PathLike[str] | None) -> tuple[str, Path | None]:
    from dbinit.settings import app_database, load_settings

    given = os.fspath(database) if database is not None else None
    return app_database(load_settings(database_url=given))


def _warn_railway_default(settings: Settings) -> None:
    """On Railway with no database set: a warning naming the one dbinit chose."""
    from dbinit.logs import log
    from dbinit.settings import railway_default_database

    for warning in railway_default_database(settings):
        log.warning("railway.default_database", message=warning)
