"""FastAPI integration (the extra `dbinit-schema[fastapi]`): readiness for a running app.

    from fastapi import FastAPI
    from dbinit.fastapi import health_router, ready_lifespan

    app = FastAPI(lifespan=ready_lifespan())
    app.include_router(health_router())

`ready_lifespan()` runs `ensure_database_ready` (the `init` use case) in a
worker thread before the app serves: uvicorn listens only once the database
is ready, and a failure stops the app. `health_router()` answers
`GET /health/db`: 200 while the database is in sync with the schema files,
503 with the error shape of `DbInitError.to_dict()` otherwise. Its verdict is
a read-only `check` (never creates or changes anything), run at most once per
`cache_seconds`; requests in between are answered from the cache.

Both read dbinit's settings like the CLI (`DBINIT_*`, `DATABASE_URL`, `.env`,
`[tool.dbinit]`); keyword overrides win: `database`, `schema_dir`, `timeout`
and the other library settings by name. Neither configures logging: dbinit's
events go to structlog when the app configured it, else to the standard
library logger `dbinit`. Only this module imports fastapi; `import dbinit` never does.
"""

from __future__ import annotations

import math
import os
import threading
import time
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any

import anyio
import anyio.to_thread
from fastapi import APIRouter, FastAPI
from fastapi.responses import JSONResponse

from dbinit.errors import DbInitError, Drift, TimeLimit

__all__ = ["health_router", "ready_lifespan"]

# Keyword overrides -> settings fields: every setting the environment can set, by
# its field name, except the CLI's own (report format, logs).
_ALIASES = {"database": "database_url", "timeout": "initialization_timeout"}
_CLI_ONLY = frozenset({"format", "log_format", "log_level"})


def _fields() -> frozenset[str]:
    from dbinit.settings import Settings

    return frozenset(Settings.model_fields) - _CLI_ONLY


def _settings_overrides(where: str, overrides: dict[str, Any]) -> dict[str, Any]:
    """Overrides as settings fields; an unknown name is a TypeError at once."""
    out: dict[str, Any] = {}
    fields = _fields()
    for name, value in overrides.items():
        field = _ALIASES.get(name, name)
        if field not in fields:
            known = ", ".join(sorted({*_ALIASES, *fields} - {"database_url"}))
            raise TypeError(f"{where}() got an unexpected keyword argument {name!r} ({known})")
        if isinstance(value, os.PathLike):
            value = os.fspath(value)
        out[field] = value
    return out


def _run(command: str, overrides: dict[str, Any]) -> Any:
    """One engine command with the settings the CLI would read, plus `overrides`."""
    from dbinit import engine
    from dbinit.settings import load_settings

    action = engine.init if command == "init" else engine.check
    return engine.execute(command, load_settings(**overrides), action)


def _app_database(overrides: dict[str, Any]) -> tuple[str, Path | None]:
    """The database the lifespan made ready, as the app opens it (`dbinit.database_url`)."""
    from dbinit import _warn_railway_default
    from dbinit.settings import app_database, load_settings

    settings = load_settings(**overrides)
    _warn_railway_default(settings)
    return app_database(settings)


def ready_lifespan(
    **overrides: Any,
) -> Callable[[FastAPI], AbstractAsyncContextManager[None]]:
    """A lifespan that makes the database ready (`ensure_database_ready`) before
    the app serves. It runs off the event loop; on failure the `DbInitError` is
    raised, so the app does not start (uvicorn exits with code 3).

    Then `app.state.database_url` is the database it made ready, as
    `dbinit.database_url()` gives it (a SQLite file as an absolute `sqlite:////…` URL;
    a server's URL with its password: never log it), and `app.state.database_path`
    the SQLite file's absolute path (None for a server): the app opens that one.
    On Railway with no database set, a `railway.default_database` warning names it.

    To combine it with the app's own lifespan, enter it first:
    `async with ready_lifespan()(app): ...`.
    """
    given = _settings_overrides("ready_lifespan", overrides)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        report = await anyio.to_thread.run_sync(partial(_run, "init", given))
        if report.error is not None:
            raise report.error
        url, path = await anyio.to_thread.run_sync(partial(_app_database, given))
        app.state.database_url, app.state.database_path = url, path
        yield

    return lifespan


class _Pending:
    """One check running in its own thread."""

    def __init__(self) -> None:
        self.started = time.monotonic()
        self.done = threading.Event()
        self.result: tuple[int, dict[str, Any]] | None = None


class _Health:
    """The last verdict and when it was reached; one check at a time, each bounded.

    A check that does not finish within its bound (the `timeout` setting) is a 503
    (`time_limit`): the request never waits longer, and while a check runs the
    previous verdict is served only while it is younger than `cache_seconds` plus
    that bound, so a hung check never keeps an old 200 alive.
    """

    def __init__(self, cache_seconds: float, overrides: dict[str, Any]) -> None:
        self.cache_seconds = cache_seconds
        self.overrides = overrides
        self.verdict: tuple[float, int, dict[str, Any]] | None = None  # (monotonic, status, body)
        self.pending: _Pending | None = None
        self.bound: float | None = None  # the check's time limit, read once

    def fresh(self) -> tuple[int, dict[str, Any]] | None:
        if self.verdict is None:
            return None
        at, status, body = self.verdict
        return (status, body) if time.monotonic() - at < self.cache_seconds else None

    async def get(self) -> tuple[int, dict[str, Any]]:
        cached = self.fresh()
        if cached is not None:
            return cached
        if self.bound is None:
            self.bound = await anyio.to_thread.run_sync(self._settings_bound)
        bound = float(self.bound)
        pending = self.pending
        if pending is None:
            pending = self.pending = _Pending()
            threading.Thread(
                target=self._work, args=(pending,), name="dbinit-health", daemon=True
            ).start()
        elif self.verdict is not None:
            at, status, body = self.verdict
            if time.monotonic() - at < self.cache_seconds + bound:
                return status, body  # a check is running: the last verdict, still recent
        left = pending.started + bound - time.monotonic()
        if left > 0 and not pending.done.is_set():
            # Woken the moment the check ends (a poll would add its interval to every answer).
            await anyio.to_thread.run_sync(pending.done.wait, left)
        if pending.result is not None:
            return pending.result
        error = TimeLimit(
            f"The database check did not finish within {bound:g} s (the `timeout` setting, "
            "DBINIT_INITIALIZATION_TIMEOUT): the database server is not answering",
            details="the check goes on in the background; its verdict is served once it ends",
            retry_after=max(1, math.ceil(max(self.cache_seconds, 1.0))),
        )
        body = error.to_dict()
        self.verdict = (time.monotonic(), 503, body)
        return 503, body

    def _settings_bound(self) -> float:
        from dbinit.settings import load_settings

        try:
            return float(load_settings(**self.overrides).initialization_timeout)
        except DbInitError:  # the check reports it
            return 30.0

    def _work(self, pending: _Pending) -> None:
        try:
            status, body = self.check()
        except BaseException as exc:  # never leave the route without a verdict
            status, body = 503, DbInitError(f"Internal error: {type(exc).__name__}").to_dict()
        self.verdict = (time.monotonic(), status, body)
        pending.result = status, body
        self.pending = None
        pending.done.set()

    def check(self) -> tuple[int, dict[str, Any]]:
        from dbinit import __version__

        checked_at = datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
        try:
            report = _run("check", self.overrides)
            error = report.error
        except DbInitError as exc:  # settings that do not load
            error = exc
        if error is None and report.exit_code == 0:
            body = {
                "status": "ok",
                "database": report.database,
                "checked_at": checked_at,
                "dbinit_version": __version__,
            }
            return 200, body
        if error is None:  # drift: a pending change (missing tables, structure), not a bad file
            pending = report.drift
            error = Drift(
                f"Database {report.database} is not in sync with the schema files: "
                f"{len(pending)} change(s) pending (run `dbinit init`, or `dbinit check` "
                "to see them)",
                details="; ".join(f"{c.kind} {c.object} {c.name}" for c in pending[:20]),
            )
        body = error.to_dict()
        if body["retry_after"] is None:
            body["retry_after"] = max(1, math.ceil(self.cache_seconds))
        return 503, body


def health_router(
    *, cache_seconds: float = 5.0, path: str = "/health/db", **overrides: Any
) -> APIRouter:
    """An APIRouter with `GET /health/db` (or `path`).

    200 `{"status": "ok", "database", "checked_at", "dbinit_version"}` when the
    database is in sync with the schema files; else 503 with
    `{"error", "message", "details", "retry_after", "error_code"}` and a
    `Retry-After` header. The verdict comes from a read-only `check`, run at
    most once every `cache_seconds` (0: every request) and bounded by the `timeout`
    setting: past it the answer is 503 (`time_limit`). While one runs, other
    requests get the previous verdict while it is younger than `cache_seconds`
    plus that bound. The database's URL is always masked.
    """
    if not cache_seconds >= 0:
        raise ValueError("cache_seconds must be a number >= 0")
    health = _Health(cache_seconds, _settings_overrides("health_router", overrides))
    router = APIRouter()

    @router.get(
        path,
        summary="Database readiness",
        responses={503: {"description": "The database is not ready or not in sync"}},
    )
    async def database_health() -> JSONResponse:
        status, body = await health.get()
        headers = {"Cache-Control": "no-store"}
        if status != 200:
            headers["Retry-After"] = str(body["retry_after"])
        return JSONResponse(body, status_code=status, headers=headers)

    return router
