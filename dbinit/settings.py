"""Settings (docs/settings.md): pydantic-settings, URL parsing, Railway rules, masking.

Precedence, highest first: command-line option (passed in as init kwargs,
only the ones the user gave), `DBINIT_*` environment, `DATABASE_URL` when it
is a `sqlite:` URL, `.env`, `[tool.dbinit]` in `pyproject.toml`, default.
This module does not open databases or read schema files.
"""

from __future__ import annotations

import difflib
import io
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Field, PrivateAttr, ValidationError, field_validator, model_validator
from pydantic.fields import FieldInfo
from pydantic_settings import (
    BaseSettings,
    DotEnvSettingsSource,
    NoDecode,
    PydanticBaseSettingsSource,
    PyprojectTomlConfigSettingsSource,
    SettingsConfigDict,
)

from dbinit.errors import ConfigError, ConnectionFailed, is_keyword_value, mask_url

DEFAULT_DATABASE = "sqlite:///app.db"
ENV_NAMES = {
    "database_url": "DBINIT_DATABASE_URL",
    "schema_dir": "DBINIT_SCHEMA_DIR",
    "retry_attempts": "DBINIT_RETRY_ATTEMPTS",
    "retry_delay": "DBINIT_RETRY_DELAY",
    "initialization_timeout": "DBINIT_INITIALIZATION_TIMEOUT",
    "format": "DBINIT_FORMAT",
    "log_format": "DBINIT_LOG_FORMAT",
    "log_level": "DBINIT_LOG_LEVEL",
    "allow_extra": "DBINIT_ALLOW_EXTRA",
    "app_functions": "DBINIT_APP_FUNCTIONS",
    "app_collations": "DBINIT_APP_COLLATIONS",
    "pg_schema": "DBINIT_PG_SCHEMA",
    "lock_timeout": "DBINIT_LOCK_TIMEOUT",
    "online_timeout": "DBINIT_ONLINE_TIMEOUT",
    "dev_url": "DBINIT_DEV_URL",
    "plans_dir": "DBINIT_PLANS_DIR",
}
OPTION_NAMES = {
    "database_url": "--database",
    "schema_dir": "--schema-dir",
    "initialization_timeout": "--timeout",
    "format": "--format",
    "log_format": "--log-format",
    "log_level": "--log-level",
    "allow_extra": "--allow-extra",
    "pg_schema": "--pg-schema",
    "lock_timeout": "--lock-timeout",
    "online_timeout": "--online-timeout",
    "dev_url": "--dev-url",
    "plans_dir": "--output-dir",
}


_SQL_NAME = re.compile(r"[^\W\d][\w$]*")


class _SqliteUrlFallback(PydanticBaseSettingsSource):
    """`DATABASE_URL` (from the environment or `.env`) when it is a sqlite: or a
    PostgreSQL URL."""

    def __init__(self, settings_cls: type[BaseSettings], values: dict[str, str | None]) -> None:
        super().__init__(settings_cls)
        self._values = values

    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:
        return None, field_name, False

    def __call__(self) -> dict[str, Any]:
        url = self._values.get("DATABASE_URL")
        # Anything that looks like a PostgreSQL connection is taken, so that a form
        # dbinit cannot use is a clear error rather than the default SQLite file.
        if url and (_is_sqlite_url(url) or looks_like_postgres(url)):
            return {"database_url": url}
        return {}


# `postgresql://`, `postgres://`, and SQLAlchemy's `postgresql+psycopg2://` etc.
_PG_URL = re.compile(r"\s*(postgres(?:ql)?)(\+[A-Za-z0-9_.-]*)?://", re.IGNORECASE)
# Other spellings of a PostgreSQL connection that libpq does not take.
_PG_OTHER = re.compile(
    r"\s*(?:jdbc:postgres(?:ql)?:|postgres(?:ql)?(?:\+[A-Za-z0-9_.-]*)?:|pgsql:|postgis:)",
    re.IGNORECASE,
)


def _is_postgres_url(url: str) -> bool:
    """A PostgreSQL URL: `postgresql://`, `postgres://`, or either with a
    SQLAlchemy driver part (`postgresql+psycopg2://`, `+asyncpg`, `+psycopg`, …)."""
    return _PG_URL.match(url) is not None


def looks_like_postgres(value: str) -> bool:
    """A PostgreSQL URL, another spelling of one (JDBC, `pgsql:`, a scheme
    without `//`), or a libpq keyword/value connection string: never a SQLite
    file name, and never ignored."""
    return _is_postgres_url(value) or _PG_OTHER.match(value) is not None or is_keyword_value(value)


def without_driver(url: str) -> str:
    """A PostgreSQL URL without its SQLAlchemy driver part (`postgresql+asyncpg://…`
    is `postgresql://…`); other values unchanged."""
    m = _PG_URL.match(url)
    if m is None or not m.group(2):
        return url
    return url[: m.start(2)] + url[m.end(2) :]


def _driver_note(url: str, name: str) -> str | None:
    m = _PG_URL.match(url)
    if m is None or not m.group(2):
        return None
    return (
        f"{name}: the driver part {m.group(2)[:30]!r} of the URL is ignored; dbinit connects "
        "to PostgreSQL with psycopg 3"
    )


def _is_sqlite_url(url: str) -> bool:
    scheme = url.split(":", 1)[0].lower() if ":" in url else ""
    return scheme == "sqlite" or scheme.startswith("sqlite+")


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="DBINIT_",
        env_file=".env",
        env_file_encoding="utf-8",
        dotenv_filtering="match_prefix",
        extra="forbid",
        pyproject_toml_table_header=("tool", "dbinit"),
        validate_default=True,
    )

    database_url: str = DEFAULT_DATABASE
    schema_dir: str = "schemas"
    retry_attempts: int = Field(3, ge=0, le=100)
    retry_delay: float = Field(1.0, ge=0, le=3600)
    initialization_timeout: float = Field(30.0, gt=0, le=86400)
    format: Literal["text", "json"] = "text"
    log_format: Literal["auto", "console", "json"] = "auto"
    log_level: Literal["debug", "info", "warning", "error", "critical"] = "info"
    allow_extra: bool = False  # `validate`: undeclared objects are not drift
    # Registered by the application at run time; lint accepts them, the
    # desired-state builder registers stand-ins.
    app_functions: Annotated[tuple[str, ...], NoDecode] = ()
    app_collations: Annotated[tuple[str, ...], NoDecode] = ()
    # PostgreSQL only: the managed schema, each statement's lock_timeout in seconds,
    # and a disposable database to run the schema files in (else a throw-away one).
    pg_schema: str = "public"
    lock_timeout: float = Field(5.0, gt=0, le=86400)
    # PostgreSQL only: the limit of each online step (CREATE INDEX CONCURRENTLY,
    # VALIDATE CONSTRAINT), which blocks nobody and so is not cut by the time limit.
    online_timeout: float = Field(3600.0, gt=0, le=604800)
    dev_url: str | None = None
    # Reviewed plan files (`dbinit plan` writes them, `init` applies an approved
    # one); None: `plans/` beside the schema folder.
    plans_dir: str | None = None

    # Notes about the settings as given (a URL's SQLAlchemy driver part ignored).
    _notes: list[str] = PrivateAttr(default_factory=list)

    @property
    def notes(self) -> list[str]:
        """Notes for the logs about how the settings were read."""
        return list(self._notes)

    @field_validator("format", "log_format", "log_level", mode="before")
    @classmethod
    def _lower(cls, value: object) -> object:
        return value.strip().lower() if isinstance(value, str) else value

    @field_validator("app_functions", "app_collations", mode="before")
    @classmethod
    def _names(cls, value: object) -> object:
        """A comma-separated string (environment, `.env`) or a list (TOML)."""
        if isinstance(value, str):
            value = value.split(",")
        if isinstance(value, list | tuple):
            names = [v.strip() if isinstance(v, str) else v for v in value]
            for name in names:
                if isinstance(name, str) and name and not _SQL_NAME.fullmatch(name):
                    raise ValueError(f"{name[:40]!r} is not a SQL function or collation name")
            return tuple(n for n in names if n != "")
        return value

    @field_validator("dev_url")
    @classmethod
    def _dev_url(cls, value: str | None) -> str | None:
        if value is not None and value.strip() and not _is_postgres_url(value):
            raise ValueError("must be a postgresql:// URL")
        if value is None or not value.strip():
            return None
        return value.strip()

    @field_validator("pg_schema")
    @classmethod
    def _pg_schema(cls, value: str) -> str:
        check_pg_schema(value)
        return value

    @model_validator(mode="after")
    def _drivers(self) -> Settings:
        """SQLAlchemy-style PostgreSQL URLs are PostgreSQL URLs: the driver part
        is dropped, with a note."""
        for name in ("database_url", "dev_url"):
            value = getattr(self, name)
            note = _driver_note(value, name) if value else None
            if note is not None:
                self._notes.append(note)
                setattr(self, name, without_driver(value))
        return self

    @field_validator("database_url", "schema_dir")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("must not be empty")
        if "\0" in value:
            raise ValueError("must not contain a NUL character")
        return value

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        dotenv_values: dict[str, str | None] = {}
        if isinstance(dotenv_settings, DotEnvSettingsSource):
            dotenv_values = {k.upper(): v for k, v in dotenv_settings.env_vars.items()}
        return (
            init_settings,
            env_settings,
            _SqliteUrlFallback(settings_cls, {"DATABASE_URL": os.environ.get("DATABASE_URL")}),
            dotenv_settings,
            _SqliteUrlFallback(settings_cls, dotenv_values),
            PyprojectTomlConfigSettingsSource(settings_cls),
        )


_RESERVED_SCHEMAS = ("information_schema",)
_MAX_IDENTIFIER = 63  # bytes: PostgreSQL's NAMEDATALEN - 1; longer names are truncated


def check_pg_schema(value: str) -> None:
    """A managed schema PostgreSQL lets dbinit create and own, else ValueError:
    not a system schema (`pg_*`: pg_catalog, pg_temp, pg_toast, …, or
    `information_schema`), at most 63 bytes (PostgreSQL would silently cut it)."""
    if not value.strip():
        raise ValueError("must not be empty")
    if "\0" in value:
        raise ValueError("must not contain a NUL character")
    if value.startswith("pg_") or value in _RESERVED_SCHEMAS:
        raise ValueError(
            f"{value[:40]!r} is a PostgreSQL system schema (names starting with pg_ and "
            "information_schema are reserved): choose the schema your application's "
            "tables live in, e.g. public"
        )
    size = len(value.encode("utf-8"))
    if size > _MAX_IDENTIFIER:
        raise ValueError(
            f"a schema name of {size} bytes is too long: PostgreSQL names are at most "
            f"{_MAX_IDENTIFIER} bytes (a longer one is cut short)"
        )


@dataclass(frozen=True, slots=True)
class Target:
    """Where the database is: its engine, its file (SQLite) and the URL shown in reports."""

    path: Path | None  # the database file (None for a server)
    url: str
    engine: str = "sqlite"

    @property
    def label(self) -> str:
        """How messages name the database: its file, else its (masked) URL."""
        return str(self.path) if self.path is not None else self.url


def parse_database(value: str) -> Target:
    """`sqlite:///rel.db`, `sqlite:////abs.db`, `sqlite+driver:///…`, a bare path, or
    a PostgreSQL URL (`postgresql://…`, `postgres://…`, either with a SQLAlchemy
    driver part, which is ignored; the driver must be installed). Another
    spelling of a PostgreSQL connection (a libpq keyword/value string, JDBC) is a
    configuration error, never a file name."""
    text = value.strip()
    if "\0" in text:
        raise ConfigError("database: the path contains a NUL character")
    if is_keyword_value(text):
        raise ConfigError(
            f"database: {mask_url(text)!r} is a libpq keyword/value connection string; "
            "give a URL instead: postgresql://user:password@host:port/dbname?sslmode=… "
            "(percent-encode special characters)"
        )
    if not _is_postgres_url(text) and _PG_OTHER.match(text):
        raise ConfigError(
            f"database: {mask_url(text)!r} is not a URL dbinit can use; give a PostgreSQL "
            "URL: postgresql://user:password@host:port/dbname"
        )
    text = without_driver(text)
    if _is_postgres_url(text):
        from dbinit.postgres import require_driver

        require_driver()
        from psycopg.conninfo import conninfo_to_dict

        rest = re.split(r"[?#]", text.split("://", 1)[1], maxsplit=1)[0]
        ats = [i for i, ch in enumerate(rest) if ch == "@"]
        slash = rest.find("/")
        # An unencoded `@` or `/` in a password would make libpq read part of it as
        # the host or port and quote it in its errors: refused before connecting.
        bad = len(ats) > 1 or (ats and slash != -1 and ats[0] > slash)
        try:
            if bad:
                raise ValueError(text)
            conninfo_to_dict(text)
        except Exception:  # libpq's message may quote the URL's password: not shown
            raise ConfigError(
                f"database: {mask_url(text)!r} is not a valid PostgreSQL URL; "
                "percent-encode spaces and special characters in its parts (%20, %40, …)"
            ) from None
        return Target(None, mask_url(text), engine="postgresql")
    if _in_memory(text):
        raise ConfigError(
            f"database: {mask_url(text)!r} is an in-memory database: nothing would persist; "
            "name a file (sqlite:///relative.db, sqlite:////absolute.db, or a path such as "
            "./:memory: for a file of that name)"
        )
    if re.match(r"^[A-Za-z][A-Za-z0-9+.-]*:", text) and not re.match(r"^[A-Za-z]:[\\/]", text):
        scheme, rest = text.split(":", 1)
        if not _is_sqlite_url(text):
            # The URL itself is not repeated: whatever its shape, it may hold a password.
            raise ConfigError(
                f"database: unsupported URL scheme {scheme[:30]!r}; only sqlite: URLs "
                "(sqlite:///relative.db, sqlite:////absolute.db) and PostgreSQL URLs "
                "(postgresql://…, postgres://…) are supported"
            )
        if not rest.startswith("///"):
            raise ConfigError(
                f"database: {mask_url(text)!r} is not a sqlite URL with a path "
                "(use sqlite:///relative.db or sqlite:////absolute.db)"
            )
        path_text = rest[3:]
        if "?" in path_text or "#" in path_text:
            raise ConfigError(f"database: query parameters are not supported in {mask_url(text)!r}")
    else:
        path_text = text
    if not path_text or path_text in (":memory:", "/:memory:") or path_text.endswith("/"):
        raise ConfigError(f"database: {mask_url(text)!r} does not name a database file")
    path = Path(path_text)
    return Target(path, mask_url(f"sqlite:///{path_text}"))


def _in_memory(text: str) -> bool:
    """`:memory:`, `sqlite://`, `sqlite:///:memory:` or a URL asking `mode=memory`
    (a bare path such as `./:memory:` is a file, never one of these)."""
    if text == ":memory:":
        return True
    match = re.match(r"^([A-Za-z][A-Za-z0-9+.-]*):(.*)\Z", text, re.DOTALL)
    if not match or re.match(r"^[A-Za-z]:[\\/]", text):
        return False
    scheme, rest = match.group(1).lower(), match.group(2)
    if scheme not in ("file", "sqlite") and not scheme.startswith("sqlite+"):
        return False
    path, _, query = rest.partition("?")
    if scheme != "file" and path in ("", "//", "///", "///:memory:"):
        return True
    return any(part.lower().replace(" ", "") == "mode=memory" for part in re.split("[&;]", query))


def load_settings(**overrides: Any) -> Settings:
    """Settings from every source; `overrides` are the options the user gave."""
    given = {k: v for k, v in overrides.items() if v is not None}
    _check_dotenv(Path(".env"))
    try:
        settings = Settings(**given)
    except ValidationError as exc:
        raise ConfigError(_describe_validation(exc, given)) from None
    except Exception as exc:  # unreadable .env or pyproject.toml
        reason = mask_url(str(exc)).splitlines()[0] if str(exc) else type(exc).__name__
        raise ConfigError(f"cannot read settings from {_unreadable_file()}: {reason}") from None
    if "database_url" not in settings.model_fields_set:
        mount = os.environ.get("RAILWAY_VOLUME_MOUNT_PATH")
        if mount:
            settings = settings.model_copy(update={"database_url": str(Path(mount) / "app.db")})
            settings.model_fields_set.discard("database_url")  # a default: no source set it
    return settings


def _check_dotenv(path: Path) -> None:
    """A `.env` that does not parse is an error naming its line: python-dotenv
    would skip the statement (and all it swallowed) and fall back to defaults."""
    import stat

    from dotenv.parser import parse_stream

    try:
        mode = path.stat().st_mode
    except OSError:
        return  # missing; or unreadable, which reading the settings reports
    if not stat.S_ISREG(mode):
        # pydantic-settings skips what is not a file: settings meant for the run
        # would silently fall back to defaults (and a FIFO would block reading it).
        what = "a folder" if stat.S_ISDIR(mode) else "not a regular file"
        raise ConfigError(
            f"cannot read settings from {path}: it is {what}; "
            f"a .env file must be a file of NAME=value lines (rename or remove {path})"
        )
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return  # missing; or unreadable, which reading the settings reports
    for binding in parse_stream(io.StringIO(text)):
        if not binding.error:
            continue
        # Only the variable's name is shown: its value may be a secret.
        start = re.match(
            r"""\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_.]*)\s*=\s*(['"])?""",
            binding.original.string,
        )
        if start and start.group(2):
            why = (
                f"the {start.group(2)} quote opening the value of {start.group(1)} is never closed"
            )
        elif start:
            why = f"the value of {start.group(1)} is not a valid .env value"
        else:
            why = "expected NAME=value"
        raise ConfigError(
            f"{path}:{binding.original.line}: cannot parse this line of {path} ({why}); "
            "fix it: no setting is read from a .env file that does not parse"
        )


def unknown_variables() -> list[str]:
    """Warnings for `DBINIT_*` environment variables that name no setting."""
    known = sorted(f"DBINIT_{name.upper()}" for name in Settings.model_fields)
    out = []
    for name in sorted(os.environ):
        if not name.upper().startswith("DBINIT_") or name.upper() in known:
            continue
        close = difflib.get_close_matches(name.upper(), known, n=1, cutoff=0.6)
        hint = f"did you mean {close[0]}?" if close else f"settings: {', '.join(known)}"
        out.append(f"environment variable {name} is not a dbinit setting and is ignored; {hint}")
    return out


def ignored_database_url() -> list[str]:
    """A warning when `DATABASE_URL` (environment or `.env`) is set but ignored:
    neither a sqlite: nor a PostgreSQL URL. The URL itself is never shown."""
    values = [("the environment", os.environ.get("DATABASE_URL"))]
    try:
        from dotenv import dotenv_values

        dotenv = {k.upper(): v for k, v in dotenv_values(".env").items()}
        values.append(("the .env file", dotenv.get("DATABASE_URL")))
    except (OSError, UnicodeDecodeError):
        pass
    for where, url in values:
        if not url or _is_sqlite_url(url) or looks_like_postgres(url):
            continue
        scheme = url.split(":", 1)[0].lower() if ":" in url else ""
        kind = f"a {scheme}: URL" if scheme.isascii() and scheme.isalnum() else "not a URL"
        return [
            f"DATABASE_URL in {where} was ignored: it is {kind}, neither a sqlite: nor a "
            "PostgreSQL URL (set DBINIT_DATABASE_URL or --database to choose the database)"
        ]
    return []


def _closest_setting(name: str) -> str:
    """' (did you mean …?)' naming the setting closest to an unknown one, or ''."""
    close = difflib.get_close_matches(name.lower(), list(Settings.model_fields), n=1, cutoff=0.6)
    if not close:
        return ""
    return f"; did you mean {close[0]} (DBINIT_{close[0].upper()})?"


def _unreadable_file() -> str:
    """Which settings file in the working directory cannot be read."""
    import tomllib

    try:
        Path(".env").read_text(encoding="utf-8")
    except FileNotFoundError:
        pass
    except (OSError, UnicodeDecodeError):
        return ".env"
    try:
        with open("pyproject.toml", "rb") as f:
            tomllib.load(f)
    except FileNotFoundError:
        pass
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return "pyproject.toml"
    return ".env or pyproject.toml"


def _source(name: str, given: dict[str, Any]) -> str:
    """Where the value of setting `name` came from, in the order sources win."""
    if name in given:
        return "the command line (or the library call)"
    env = ENV_NAMES.get(name, f"DBINIT_{name.upper()}")
    upper = {k.upper() for k in os.environ}
    if env in upper:
        return f"the environment variable {env}"
    if name == "database_url" and "DATABASE_URL" in os.environ:
        return "the environment variable DATABASE_URL"
    try:
        from dotenv import dotenv_values

        dotenv = {k.upper() for k in dotenv_values(".env")}
    except (OSError, UnicodeDecodeError):
        dotenv = set()
    if env in dotenv:
        return f"{env} in the .env file"
    if name == "database_url" and "DATABASE_URL" in dotenv:
        return "DATABASE_URL in the .env file"
    return f"{name} in [tool.dbinit] of pyproject.toml"


def _describe_validation(exc: ValidationError, given: dict[str, Any] | None = None) -> str:
    parts = []
    for err in exc.errors():
        loc = err["loc"][0] if err["loc"] else ""
        name = str(loc)
        if err["type"] == "extra_forbidden":
            parts.append(
                f"unknown setting {name!r} (DBINIT_{name.upper()} in .env or {name} in "
                f"[tool.dbinit]){_closest_setting(name)}"
            )
            continue
        label = ENV_NAMES.get(name, name)
        option = OPTION_NAMES.get(name)
        label = f"{name} ({label}{', ' + option if option else ''})"
        parts.append(f"invalid value for {label} from {_source(name, given or {})}: {err['msg']}")
    return "; ".join(parts)


def railway_warnings(path: Path) -> list[str]:
    """Warnings every command logs on Railway for a database outside the volume."""
    if not os.environ.get("RAILWAY_ENVIRONMENT"):
        return []
    mount = os.environ.get("RAILWAY_VOLUME_MOUNT_PATH")
    if mount and _under(path, Path(mount)):
        return []
    where = f"is outside the volume {mount}" if mount else "is not on a Railway volume"
    return [f"database {path} {where}: its data will not survive a redeploy"]


def railway_refusal(path: Path, command: str) -> None:
    """`init`/`repair` refuse to create a database on an unmounted Railway volume."""
    if not os.environ.get("RAILWAY_ENVIRONMENT"):
        return
    mount = os.environ.get("RAILWAY_VOLUME_MOUNT_PATH")
    if not mount or not _under(path, Path(mount)):
        return
    if not os.path.ismount(mount):
        raise ConnectionFailed(
            f"Railway volume {mount} is not mounted: the database step runs before the volume "
            "is attached (e.g. as a pre-deploy command, whose file changes are thrown away); "
            f"run `dbinit {command}` in the start command instead",
            details=f"os.path.ismount({mount!r}) is False while RAILWAY_ENVIRONMENT is set",
        )


def _under(path: Path, folder: Path) -> bool:
    try:
        path.absolute().resolve().relative_to(folder.absolute().resolve())
    except ValueError:
        return False
    return True


def app_database(settings: Settings) -> tuple[str, Path | None]:
    """The database as the application should open it: its URL (a SQLite file as
    `sqlite:////absolute/path`, a server URL as configured, password included: never
    log it) and, for SQLite, the file's absolute path (None for a server)."""
    target = parse_database(settings.database_url)
    if target.path is None:
        return settings.database_url.strip(), None
    path = target.path.absolute()  # as dbinit opens it: relative to the working directory
    return f"sqlite:///{path}", path


def railway_default_database(settings: Settings) -> list[str]:
    """A warning on Railway when no source set the database: dbinit then chose it
    (the volume's `app.db`, else `app.db` here), and an app that opens a file of its
    own will not see the tables dbinit made."""
    if not os.environ.get("RAILWAY_ENVIRONMENT") or "database_url" in settings.model_fields_set:
        return []
    url, _ = app_database(settings)
    if os.environ.get("RAILWAY_VOLUME_MOUNT_PATH"):
        chosen = "the Railway volume's default"
    else:
        chosen = "the default"
    return [
        f"no database is set (DBINIT_DATABASE_URL, DATABASE_URL, [tool.dbinit]): dbinit uses "
        f"{chosen} {mask_url(url)}; the app must open this same database "
        "(dbinit.database_url(), or app.state.database_url from ready_lifespan()) "
        "or set DBINIT_DATABASE_URL for both"
    ]
