"""The PostgreSQL engine's internals: connecting and locking (`connect`), the model
(`model`), catalog introspection (`introspect`) and the scratch space that turns
schema files into the desired model (`scratch`).

Nothing here is imported by the SQLite path. This module itself imports no
driver: call `require_driver()` before importing the submodules that use psycopg
(`connect`, `introspect`, `scratch`), so that a PostgreSQL URL without the
driver is a configuration error (78) naming the command that installs it.
"""

from __future__ import annotations

import importlib.util

from dbinit.errors import ConfigError

INSTALL_HINT = "pip install 'dbinit-schema[postgres]'"


def require_driver() -> None:
    """Raise `ConfigError` (78) when psycopg 3 is not installed."""
    if importlib.util.find_spec("psycopg") is None:
        raise ConfigError(
            "A PostgreSQL database needs the psycopg driver, which is not installed; "
            f"install it with: {INSTALL_HINT}"
        )


def is_postgres_url(url: str) -> bool:
    """True for `postgresql://…` and `postgres://…` URLs (any case of the scheme)."""
    return url.lower().startswith(("postgresql://", "postgres://"))
