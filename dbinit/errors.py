"""The error family of dbinit and the one place that maps sqlite3 and OS errors.

Every failure a user can meet is a `DbInitError` carrying its documented
`error`, `error_code` and `exit_code` (docs/exit-codes.md: the exit codes, the
JSON report and its error codes). This module must not import anything heavy
and must never put a secret in a message.
"""

from __future__ import annotations

import errno
import re
from pathlib import Path
from typing import Any, ClassVar

# SQLite URI parameters and libpq connection parameters that never carry a
# secret; every other query or fragment value of a URL is masked.
_HARMLESS = frozenset({"mode", "cache", "immutable", "nolock", "psow", "vfs"})
_PG_HARMLESS = frozenset(
    {
        "sslmode",
        "connect_timeout",
        "target_session_attrs",
        "gssencmode",
        "channel_binding",
        "sslnegotiation",
        "load_balance_hosts",
    }
)
# libpq's connection keywords (PostgreSQL 13 to 18): a text that starts with
# `keyword=` is a keyword/value connection string.
LIBPQ_KEYWORDS = frozenset(
    [
        "host",
        "hostaddr",
        "port",
        "dbname",
        "user",
        "password",
        "passfile",
        "require_auth",
        "channel_binding",
        "connect_timeout",
        "client_encoding",
        "options",
        "application_name",
        "fallback_application_name",
        "keepalives",
        "keepalives_idle",
        "keepalives_interval",
        "keepalives_count",
        "tcp_user_timeout",
        "replication",
        "gssencmode",
        "sslmode",
        "sslnegotiation",
        "sslcompression",
        "sslcert",
        "sslkey",
        "sslkeylogfile",
        "sslpassword",
        "sslcertmode",
        "sslrootcert",
        "sslcrl",
        "sslcrldir",
        "sslsni",
        "requirepeer",
        "ssl_min_protocol_version",
        "ssl_max_protocol_version",
        "min_protocol_version",
        "max_protocol_version",
        "krbsrvname",
        "gsslib",
        "gssdelegation",
        "service",
        "target_session_attrs",
        "load_balance_hosts",
        "scram_client_key",
        "scram_server_key",
        "oauth_issuer",
        "oauth_client_id",
        "oauth_client_secret",
        "oauth_scope",
    ]
)
# Shown in a keyword/value string; every other value is masked.
_KV_SHOWN = _PG_HARMLESS | {"host", "hostaddr", "port", "dbname", "user"}
_KV_START = re.compile(r"\s*([A-Za-z_]+)\s*=")
# One `keyword = value` of a connection string: a quoted value (backslash escapes,
# possibly never closed) or an unquoted one (up to white space).
_KV_PAIR = re.compile(r"([A-Za-z_]+)(\s*=\s*)('(?:[^'\\]|\\.)*(?:'|\\?\Z)|(?:[^\s\\]|\\.?)*)")
# A secret keyword anywhere in a text (`password=…`, `sslpassword=…`, `PGPASSWORD=…`).
_KV_SECRET = re.compile(
    r"(?<![\w.-])((?:pg)?(?:ssl)?password|oauth_client_secret|scram_(?:client|server)_key)"
    r"=('(?:[^'\\]|\\.)*(?:'|\Z)|\S*)",
    re.IGNORECASE,
)
# A URL starts with a scheme (two letters or more, so `C:\\` is a path) that starts a
# word and is followed by `//`, or for SQLite-style URIs (`sqlite:x.db?key=…`,
# `file:x.db`) by anything but white space.
_URL_START = re.compile(r"(?<![A-Za-z0-9+.-])([A-Za-z][A-Za-z0-9+.-]{1,30}):(?=//|[^\s/])")
_OPAQUE = ("sqlite", "file", "libsql")
_USER = re.compile(r"[^/@:\s?#]*:")
_SPACE = re.compile(r"\s")
_PARAM_SPLIT = re.compile(r"([&;#])")


def mask_url(text: str) -> str:
    """Hide the secrets of every URL in `text`: each userinfo password (up to the
    last `@`, so unencoded `@`, `/` or spaces stay hidden) and each query or
    fragment value whose name is not a harmless SQLite URI parameter (`mode`,
    `cache`, `immutable`, `nolock`, `psow`, `vfs`). Any scheme, supported or not.

    A text that is one URL is masked to its end; in longer text a URL ends at its
    closing quote when it is quoted, else at white space. Linear in the text.

    A text that is a libpq keyword/value connection string (`host=db
    password=…`) shows only its harmless values (`host`, `port`, `dbname`,
    `user`, `sslmode`, …); in any text, the value of a secret keyword
    (`password=`, `sslpassword=`, …) is masked.
    """
    if is_keyword_value(text):
        return _mask_keyword_value(text)
    if ":" in text:
        if "\n" not in text and _URL_START.match(text) is not None:
            text = _mask_line(text, whole=True)
        else:
            text = "".join(_mask_line(line) for line in text.splitlines(keepends=True))
    if "=" in text:
        text = _KV_SECRET.sub(_secret_value, text)
    return text


def is_keyword_value(text: str) -> bool:
    """Whether `text` is a libpq keyword/value connection string (its first
    word is one of libpq's connection keywords followed by `=`)."""
    m = _KV_START.match(text)
    return m is not None and m.group(1).lower() in LIBPQ_KEYWORDS


def _mask_keyword_value(text: str) -> str:
    def one(m: re.Match[str]) -> str:
        if m.group(1).lower() in _KV_SHOWN or not m.group(3):
            return m.group(0)
        return f"{m.group(1)}{m.group(2)}***"

    return _KV_PAIR.sub(one, text)


def _secret_value(m: re.Match[str]) -> str:
    if not m.group(2) or m.group(2).startswith("***"):
        return m.group(0)
    return f"{m.group(1)}=***"


def _mask_line(line: str, *, whole: bool = False) -> str:
    out: list[str] = []
    done = 0  # line[:done] is already in `out`
    last_at = line.rfind("@")
    pos = 0
    while (m := _URL_START.search(line, pos)) is not None:
        start, rest = m.start(), m.end()
        authority = line.startswith("//", rest)
        if not authority and not m.group(1).lower().startswith(_OPAQUE):
            pos = rest
            continue
        if whole:
            end = len(line)
        elif start and line[start - 1] in "'\"":
            end = _closing_quote(line, rest, line[start - 1])
        else:
            space = _SPACE.search(line, rest)
            end = space.start() if space else len(line)
        out.append(line[done:rest])
        body = rest
        if authority:
            user = _USER.match(line, rest + 2)
            if user is not None:
                colon = user.end()
                at = last_at if not whole and last_at >= colon else line.rfind("@", colon, end)
                if at >= colon:
                    out.append(line[rest:colon] + "***")
                    body = at
                    if at >= end:  # the password ran past white space
                        space = _SPACE.search(line, at)
                        end = space.start() if space else len(line)
        out.append(_mask_query(line[body:end]))
        done = pos = max(end, rest)
    out.append(line[done:])
    return "".join(out)


def _closing_quote(line: str, start: int, quote: str) -> int:
    """Index of the quote closing a quoted URL (backslash-escaped ones skipped)."""
    i = line.find(quote, start)
    while i > 0 and line[i - 1] == "\\":
        i = line.find(quote, i + 1)
    return i if i >= 0 else len(line)


def _mask_query(url: str) -> str:
    """`url` (from its authority or path on) with every unsafe parameter value hidden."""
    cut = min((i for i in (url.find("?"), url.find("#")) if i >= 0), default=-1)
    if cut < 0:
        return url
    parts = _PARAM_SPLIT.split(url[cut + 1 :])
    for i in range(0, len(parts), 2):
        name, eq, value = parts[i].partition("=")
        if not parts[i] or name.strip().lower() in _HARMLESS | _PG_HARMLESS:
            continue
        if eq and not value:
            continue
        parts[i] = f"{name}=***" if eq else "***"
    return url[: cut + 1] + "".join(parts)


_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def printable(text: str) -> str:
    """`text` safe for a terminal: control characters (C0 but tab and newline, DEL,
    C1, bidirectional overrides) shown as `\\x1b`-style escapes."""
    if "\r\n" in text:
        text = text.replace("\r\n", "\n")
    return _CONTROL.sub(_escape_char, text)


def _escape_char(m: re.Match[str]) -> str:
    code = ord(m.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


class DbInitError(Exception):
    """A failure with a contract exit code; `to_dict()` is the JSON error shape."""

    error: ClassVar[str] = "internal_error"
    error_code: ClassVar[str] = "DB_010"
    default_exit_code: ClassVar[int] = 70

    def __init__(
        self,
        message: str,
        *,
        details: str | None = None,
        retry_after: int | None = None,
        exit_code: int | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.details = details
        self.retry_after = retry_after
        self.exit_code = exit_code if exit_code is not None else self.default_exit_code

    def to_dict(self) -> dict[str, Any]:
        return {
            "error": self.error,
            "message": self.message,
            "details": self.details,
            "retry_after": self.retry_after,
            "error_code": self.error_code,
        }


class ConnectionFailed(DbInitError):
    error = "connection_error"
    error_code = "DB_001"
    default_exit_code = 69


class DatabaseLocked(DbInitError):
    error = "database_locked"
    error_code = "DB_002"
    default_exit_code = 75


class PermissionDenied(DbInitError):
    error = "permission_error"
    error_code = "DB_003"
    default_exit_code = 77


class SchemaError(DbInitError):
    error = "schema_error"
    error_code = "DB_004"
    default_exit_code = 65


class SchemaMissing(SchemaError):
    default_exit_code = 66


class DataError(DbInitError):
    error = "data_error"
    error_code = "DB_005"
    default_exit_code = 3


class IntegrityFailed(DbInitError):
    error = "integrity_error"
    error_code = "DB_006"
    default_exit_code = 1


class Refused(DbInitError):
    error = "refused"
    error_code = "DB_007"
    default_exit_code = 3


class ConfigError(DbInitError):
    error = "config_error"
    error_code = "DB_008"
    default_exit_code = 78


class IOFailure(DbInitError):
    error = "io_error"
    error_code = "DB_009"
    default_exit_code = 74


class InternalError(DbInitError):
    pass


class TimeLimit(DbInitError):
    """A time limit was reached (the overall `--timeout`, or `--online-timeout` for an
    online step): the message names the step and the setting to raise. Never used for
    a lock that was not granted (that is `DatabaseLocked`)."""

    error = "time_limit"
    error_code = "DB_012"
    default_exit_code = 75


class Interrupted(DbInitError):
    """The run was stopped by SIGINT (exit 130) or SIGTERM (exit 143)."""

    error = "interrupted"
    error_code = "DB_011"
    default_exit_code = 130


class Drift(DbInitError):
    """The database is not in sync with the schema files (a pending change): the
    readiness route's 503, told apart from a broken schema file (`schema_error`)."""

    error = "drift"
    error_code = "DB_013"
    default_exit_code = 1


# The signals the CLI's handler received, in order. Code that SQLite runs (a
# progress handler) cannot raise through SQLite: when SQLite reports that it was
# interrupted, this says which signal stopped it.
received_signals: list[int] = []


class Signalled(KeyboardInterrupt):
    """Raised by the CLI's handler for SIGTERM (and SIGINT), so that a stop
    unwinds like Ctrl-C: every clean-up for KeyboardInterrupt runs."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


def describe(exc: BaseException) -> str:
    return f"{type(exc).__module__}.{type(exc).__qualname__}: {exc}"


def from_os(
    exc: OSError,
    path: Path,
    *,
    creating_parent: bool = False,
    creating: bool = False,
    what: str = "database",
) -> DbInitError:
    """Map an OSError met while touching the database path (or its backup's);
    `creating`: while creating the file `path` (a name too long is then 73)."""
    details = describe(exc)
    if creating_parent:
        return IOFailure(
            f"Cannot create the {what} folder {path}: {exc.strerror or exc}",
            details=details,
            exit_code=73,
        )
    if creating and exc.errno == errno.ENAMETOOLONG:
        return IOFailure(
            f"Cannot create the {what} {path}: file name too long for the filesystem",
            details=details,
            exit_code=73,
        )
    if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return PermissionDenied(f"Permission denied: {path}", details=details)
    if exc.errno in (errno.ENOSPC, errno.EFBIG, errno.EDQUOT, errno.EIO):
        return IOFailure(f"I/O error on {path}: {exc.strerror or exc}", details=details)
    return ConnectionFailed(f"Cannot open database {path}: {exc.strerror or exc}", details=details)
