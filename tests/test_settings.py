"""Settings precedence and validation (docs/settings.md).

CLI option > DBINIT_* environment > DATABASE_URL (sqlite: only) > `.env` in the
working folder > `[tool.dbinit]` of `pyproject.toml` > default. Every case is
observed from outside: which file `init` created, what the report names, and
whether stdout is JSON.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import digest, tables, write_schema

SECRET = "secret"
# Another engine's URL: not ours (a PostgreSQL DATABASE_URL is used, postgres.md).
OTHER_URL = f"mysql://user:{SECRET}@host/db"

HOST_APP_DOTENV = """\
# The host application's own settings: dbinit must tolerate them.
SECRET_KEY=django-insecure-0123456789abcdef
DEBUG=1
ALLOWED_HOSTS=localhost,127.0.0.1
REDIS_URL=redis://localhost:6379/0
export SENTRY_DSN="https://key@sentry.example/1"
"""


def write_pyproject(folder: Path, **settings: object) -> None:
    lines = [
        "[project]",
        'name = "host-app"',
        'version = "1.0"',
        "",
        "[tool.ruff]",
        "line-length = 88",
        "",
        "[tool.dbinit]",
    ]
    lines += [f"{key} = {json.dumps(value)}" for key, value in settings.items()]
    (folder / "pyproject.toml").write_text("\n".join(lines) + "\n", encoding="utf-8")


def write_dotenv(folder: Path, *lines: str) -> None:
    (folder / ".env").write_text(HOST_APP_DOTENV + "\n".join(lines) + "\n", encoding="utf-8")


# --- database URL precedence --------------------------------------------------

DB_LAYERS = ("cli", "dbinit_env", "database_url_env", "dotenv", "pyproject", "default")


@pytest.mark.parametrize("winner", DB_LAYERS)
def test_database_precedence(
    cli, shipped_schemas: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, winner: str
) -> None:
    """Every layer from `winner` down is configured; the highest one is used."""
    active = DB_LAYERS[DB_LAYERS.index(winner) :]
    args = ["init", "--format", "json"]
    if "cli" in active:
        args += ["--database", "cli.db"]
    if "dbinit_env" in active:
        monkeypatch.setenv("DBINIT_DATABASE_URL", "sqlite:///dbinit_env.db")
    if "database_url_env" in active:
        monkeypatch.setenv("DATABASE_URL", "sqlite:///database_url_env.db")
    if "dotenv" in active:
        write_dotenv(tmp_path, "DBINIT_DATABASE_URL=sqlite:///dotenv.db")
    if "pyproject" in active:
        write_pyproject(tmp_path, database_url="sqlite:///pyproject.db")
    expected = "app.db" if winner == "default" else f"{winner}.db"

    res = cli(*args)

    assert res.exit_code == 0, (res.stdout, res.stderr)
    assert res.json()["database"] == f"sqlite:///{expected}"
    assert {"users", "portfolio_snapshots"} <= tables(tmp_path / expected)
    created = {p.name for p in tmp_path.glob("*.db")}
    assert created == {expected}


def test_database_url_in_dotenv_is_used(cli, shipped_schemas: Path, tmp_path: Path) -> None:
    """`.env` holds environment variables: a sqlite DATABASE_URL there counts too."""
    write_dotenv(tmp_path, "DATABASE_URL=sqlite:///from_dotenv.db")
    write_pyproject(tmp_path, database_url="sqlite:///pyproject.db")
    res = cli("init", "--format", "json")
    assert res.exit_code == 0, (res.stdout, res.stderr)
    assert (tmp_path / "from_dotenv.db").exists()
    assert not (tmp_path / "pyproject.db").exists()


def test_dbinit_env_beats_sqlite_database_url(
    cli, shipped_schemas: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DATABASE_URL", "sqlite:///generic.db")
    monkeypatch.setenv("DBINIT_DATABASE_URL", "sqlite:///specific.db")
    res = cli("init", "--format", "json")
    assert res.exit_code == 0, (res.stdout, res.stderr)
    assert (tmp_path / "specific.db").exists()
    assert not (tmp_path / "generic.db").exists()


@pytest.mark.parametrize("below", ["default", "dotenv", "pyproject"])
def test_other_engines_database_url_is_ignored(
    cli,
    shipped_schemas: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    below: str,
) -> None:
    """A host app's MySQL DATABASE_URL is not ours: fall through, never leak it."""
    monkeypatch.setenv("DATABASE_URL", OTHER_URL)
    expected = "app.db"
    if below == "dotenv":
        write_dotenv(tmp_path, "DBINIT_DATABASE_URL=sqlite:///dotenv.db")
        expected = "dotenv.db"
    elif below == "pyproject":
        write_pyproject(tmp_path, database_url="sqlite:///pyproject.db")
        expected = "pyproject.db"

    res = cli("init", "--format", "json")

    assert res.exit_code == 0, (res.stdout, res.stderr)
    assert res.json()["database"] == f"sqlite:///{expected}"
    assert (tmp_path / expected).exists()
    assert SECRET not in res.stdout + res.stderr


def test_other_engines_database_url_in_dotenv_is_ignored(
    cli, shipped_schemas: Path, tmp_path: Path
) -> None:
    write_dotenv(tmp_path, f"DATABASE_URL={OTHER_URL}")
    res = cli("init", "--format", "json")
    assert res.exit_code == 0, (res.stdout, res.stderr)
    assert (tmp_path / "app.db").exists()
    assert SECRET not in res.stdout + res.stderr


def test_dotenv_with_only_host_app_variables_is_tolerated(
    cli, shipped_schemas: Path, tmp_path: Path
) -> None:
    write_dotenv(tmp_path)
    res = cli("check", "--format", "json")
    assert res.exit_code == 1, (res.stdout, res.stderr)
    doc = res.json()
    assert doc["error"] is None
    assert doc["database"] == "sqlite:///app.db"
    assert "django-insecure" not in res.stdout + res.stderr


def test_pyproject_without_dbinit_table_is_tolerated(
    cli, shipped_schemas: Path, tmp_path: Path
) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[project]\nname = "x"\nversion = "1"\n\n[tool.ruff]\nline-length = 88\n',
        encoding="utf-8",
    )
    res = cli("check", "--format", "json")
    assert res.exit_code == 1, (res.stdout, res.stderr)
    assert res.json()["database"] == "sqlite:///app.db"


# --- schema folder and report format precedence -------------------------------

DIR_LAYERS = ("cli", "env", "dotenv", "pyproject", "default")


@pytest.mark.parametrize("winner", DIR_LAYERS)
def test_schema_dir_precedence(
    cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, winner: str
) -> None:
    """Each layer's folder declares a table named after the layer; check names the winner's."""
    for layer in DIR_LAYERS:
        folder = "schemas" if layer == "default" else f"schemas_{layer}"
        write_schema(tmp_path / folder, {"001.sql": f"CREATE TABLE from_{layer} (id INTEGER);"})
    active = DIR_LAYERS[DIR_LAYERS.index(winner) :]
    args = ["check", "--format", "json"]
    if "cli" in active:
        args += ["--schema-dir", "schemas_cli"]
    if "env" in active:
        monkeypatch.setenv("DBINIT_SCHEMA_DIR", "schemas_env")
    if "dotenv" in active:
        write_dotenv(tmp_path, "DBINIT_SCHEMA_DIR=schemas_dotenv")
    if "pyproject" in active:
        write_pyproject(tmp_path, schema_dir="schemas_pyproject")

    res = cli(*args)

    assert res.exit_code == 1, (res.stdout, res.stderr)
    doc = res.json()
    assert doc["schema_dir"] == ("schemas" if winner == "default" else f"schemas_{winner}")
    assert [c["name"] for c in doc["changes"]] == [f"from_{winner}"]


FORMAT_CASES = [
    # (id, cli format, env, .env, pyproject, expected)
    ("pyproject", None, None, None, "json", "json"),
    ("dotenv-over-pyproject", None, None, "text", "json", "text"),
    ("env-over-dotenv", None, "json", "text", "text", "json"),
    ("cli-over-env", "text", "json", "json", "json", "text"),
    ("cli-only", "json", None, None, None, "json"),
    ("default", None, None, None, None, "text"),
]


@pytest.mark.parametrize(
    ("cli_fmt", "env_fmt", "dotenv_fmt", "pyproject_fmt", "expected"),
    [c[1:] for c in FORMAT_CASES],
    ids=[c[0] for c in FORMAT_CASES],
)
def test_format_precedence(
    cli,
    shipped_schemas: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    cli_fmt: str | None,
    env_fmt: str | None,
    dotenv_fmt: str | None,
    pyproject_fmt: str | None,
    expected: str,
) -> None:
    args = ["check"] + (["--format", cli_fmt] if cli_fmt else [])
    if env_fmt:
        monkeypatch.setenv("DBINIT_FORMAT", env_fmt)
    if dotenv_fmt:
        write_dotenv(tmp_path, f"DBINIT_FORMAT={dotenv_fmt}")
    if pyproject_fmt:
        write_pyproject(tmp_path, format=pyproject_fmt)

    res = cli(*args)

    assert res.exit_code == 1, (res.stdout, res.stderr)
    if expected == "json":
        assert res.json()["command"] == "check"
    else:
        with pytest.raises(json.JSONDecodeError):
            json.loads(res.stdout)
        assert "users" in res.stdout


# --- options before and after the command name ----------------------------------


def test_options_before_the_command(cli, tmp_path: Path) -> None:
    write_schema(tmp_path / "decl", {"a.sql": "CREATE TABLE alpha (id INTEGER);"})
    res = cli("--format", "json", "--database", "before.db", "--schema-dir", "decl", "init")
    assert res.exit_code == 0, (res.stdout, res.stderr)
    doc = res.json()
    assert doc["database"] == "sqlite:///before.db"
    assert doc["schema_dir"] == "decl"
    assert tables(tmp_path / "before.db") >= {"alpha"}


def test_short_options_before_the_command(cli, shipped_schemas: Path, tmp_path: Path) -> None:
    res = cli("-f", "json", "-d", "short.db", "-s", "schemas", "init")
    assert res.exit_code == 0, (res.stdout, res.stderr)
    assert (tmp_path / "short.db").exists()


def test_option_after_the_command_wins(cli, shipped_schemas: Path, tmp_path: Path) -> None:
    res = cli(
        "--database",
        "before.db",
        "--format",
        "text",
        "init",
        "--database",
        "after.db",
        "-f",
        "json",
    )
    assert res.exit_code == 0, (res.stdout, res.stderr)
    assert res.json()["database"] == "sqlite:///after.db"
    assert (tmp_path / "after.db").exists()
    assert not (tmp_path / "before.db").exists()


def test_option_before_the_command_beats_environment(
    cli, shipped_schemas: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DBINIT_DATABASE_URL", "sqlite:///env.db")
    res = cli("--database", "opt.db", "--format", "json", "init")
    assert res.exit_code == 0, (res.stdout, res.stderr)
    assert (tmp_path / "opt.db").exists()
    assert not (tmp_path / "env.db").exists()


# --- invalid values: exit 78 (2 for an option value given on the command line),
# DB_008, the setting named, no secret ---------------------------------------------

BAD_VALUES = [
    # (id, args, env, dotenv line, pyproject settings, names any of)
    ("retry-attempts-env", [], {"DBINIT_RETRY_ATTEMPTS": "abc"}, None, None, ("retry_attempts",)),
    ("retry-delay-env", [], {"DBINIT_RETRY_DELAY": "-5"}, None, None, ("retry_delay",)),
    ("format-cli", ["--format", "yaml"], {}, None, None, ("format",)),
    ("format-env", [], {"DBINIT_FORMAT": "yaml"}, None, None, ("format",)),
    ("timeout-negative", ["--timeout", "-1"], {}, None, None, ("timeout",)),
    ("timeout-word", ["--timeout", "soon"], {}, None, None, ("timeout",)),
    ("timeout-env", [], {"DBINIT_INITIALIZATION_TIMEOUT": "0"}, None, None, ("timeout",)),
    ("log-level-env", [], {"DBINIT_LOG_LEVEL": "loud"}, None, None, ("log_level", "log-level")),
    ("log-level-cli", ["--log-level", "loud"], {}, None, None, ("log_level", "log-level")),
    ("log-format-cli", ["--log-format", "xml"], {}, None, None, ("log_format", "log-format")),
    ("postgres-cli", ["--database", OTHER_URL], {}, None, None, ("database",)),
    ("postgres-env", [], {"DBINIT_DATABASE_URL": OTHER_URL}, None, None, ("database",)),
    (
        "mysql-cli",
        ["--database", f"mysql://root:{SECRET}@db:3306/app"],
        {},
        None,
        None,
        ("database",),
    ),
    ("sqlite-with-host", ["--database", "sqlite://host/x"], {}, None, None, ("database",)),
    ("empty-database", ["--database", ""], {}, None, None, ("database",)),
    ("retry-attempts-dotenv", [], {}, "DBINIT_RETRY_ATTEMPTS=abc", None, ("retry_attempts",)),
    ("retry-attempts-pyproject", [], {}, None, {"retry_attempts": "many"}, ("retry_attempts",)),
    ("postgres-pyproject", [], {}, None, {"database_url": OTHER_URL}, ("database",)),
]


def _format_is_broken(args: list[str], env: dict[str, str]) -> bool:
    return "--format" in args or "DBINIT_FORMAT" in env


# Each case in text mode; in JSON mode too unless the broken setting is the format.
BAD_VALUE_RUNS = [
    pytest.param(fmt, *case[1:], id=f"{case[0]}-{fmt}")
    for case in BAD_VALUES
    for fmt in ("json", "text")
    if fmt == "text" or not _format_is_broken(case[1], case[2])
]


@pytest.mark.parametrize(("fmt", "args", "env", "dotenv", "pyproject", "names"), BAD_VALUE_RUNS)
def test_invalid_setting_is_a_config_error(
    cli,
    shipped_schemas: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    fmt: str,
    args: list[str],
    env: dict[str, str],
    dotenv: str | None,
    pyproject: dict[str, object] | None,
    names: tuple[str, ...],
) -> None:
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    if dotenv:
        write_dotenv(tmp_path, dotenv)
    if pyproject:
        write_pyproject(tmp_path, **pyproject)
    fmt_args = [] if _format_is_broken(args, env) else ["--format", fmt]
    before = sorted(p.name for p in tmp_path.iterdir())

    res = cli("init", *fmt_args, *args)

    # An option value the command line itself checks is a usage error (exit 2).
    usage = any(a in args for a in ("--format", "--timeout", "--log-level", "--log-format"))
    assert res.exit_code == (2 if usage else 78), (res.stdout, res.stderr)
    out = res.stdout + res.stderr
    assert SECRET not in out
    assert "Traceback" not in out
    if usage and fmt == "text":
        assert res.stdout == ""
        message = res.stderr
    elif fmt == "json":
        err = res.json()["error"]
        assert err["error_code"] == "DB_008"
        assert err["error"] == "config_error"
        message = err["message"]
    else:
        assert "DB_008" in res.stdout
        message = res.stdout
    assert any(name in message for name in names), message
    # init refused before touching anything: no database file appeared.
    assert sorted(p.name for p in tmp_path.iterdir()) == before
    assert digest(tmp_path / "app.db") is None


# --- URL forms ------------------------------------------------------------------

URL_FORMS = [
    ("sqlite-relative", "sqlite:///rel.db", "rel.db"),
    ("sqlite-relative-nested", "sqlite:///data/nested/rel.db", "data/nested/rel.db"),
    ("sqlite-absolute", "sqlite:///{abs}/abs/path.db", "{abs}/abs/path.db"),
    ("bare-relative", "bare.db", "bare.db"),
    ("bare-relative-nested", "data/bare.db", "data/bare.db"),
    ("bare-absolute", "{abs}/elsewhere/bare.db", "{abs}/elsewhere/bare.db"),
    ("sqlite-driver", "sqlite+aiosqlite:///x.db", "x.db"),
    ("sqlite-pysqlite", "sqlite+pysqlite:///y.db", "y.db"),
]


@pytest.mark.parametrize(
    ("url", "where"), [c[1:] for c in URL_FORMS], ids=[c[0] for c in URL_FORMS]
)
def test_url_forms(cli, shipped_schemas: Path, tmp_path: Path, url: str, where: str) -> None:
    url = url.format(abs=tmp_path / "outside")
    expected = Path(where.format(abs=tmp_path / "outside"))
    if not expected.is_absolute():
        expected = tmp_path / expected

    res = cli("init", "--format", "json", "--database", url)
    assert res.exit_code == 0, (res.stdout, res.stderr)
    assert {"users", "portfolio_snapshots"} <= tables(expected)
    # An absolute URL is not read as relative to the working folder.
    assert not (tmp_path / "tmp").exists()
    assert not (tmp_path / "app.db").exists()

    res = cli("check", "--format", "json", "--database", url)
    assert res.exit_code == 0, (res.stdout, res.stderr)
    assert res.json()["changes"] == []


def test_database_url_environment_with_driver(
    cli, shipped_schemas: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DATABASE_URL", "sqlite+aiosqlite:///async.db")
    res = cli("init", "--format", "json")
    assert res.exit_code == 0, (res.stdout, res.stderr)
    assert (tmp_path / "async.db").exists()


# --- a path is a path; an in-memory target is refused --------------------------

# (id, --database value, the file it names relative to the working folder)
PATHS_THAT_LOOK_LIKE_URIS = [
    ("dot-memory", "./:memory:", ":memory:"),
    ("dot-file-uri", "./file:x.db?mode=memory", "file:x.db?mode=memory"),
    ("dot-file-uri-plain", "./file:y.db", "file:y.db"),
    ("sqlite-file-prefix", "sqlite:///file:{abs}/abs.db", "file:{abs}/abs.db"),
    ("percent-and-hash", "./a%20b#c.db", "a%20b#c.db"),
]


@pytest.mark.parametrize(
    ("url", "where"),
    [c[1:] for c in PATHS_THAT_LOOK_LIKE_URIS],
    ids=[c[0] for c in PATHS_THAT_LOOK_LIKE_URIS],
)
def test_path_that_looks_like_a_uri_is_a_file(
    cli, shipped_schemas: Path, tmp_path: Path, url: str, where: str
) -> None:
    """SQLite reads `:memory:` and `file:…` names as special; dbinit opens the
    file the path names, for writing, reading and the backup alike."""
    outside = tmp_path / "outside"
    url, where = url.format(abs=outside), where.format(abs=outside)
    expected = tmp_path / where

    res = cli("init", "--format", "json", "--database", url)
    assert res.exit_code == 0, (res.stdout, res.stderr)
    # The oracle: the sqlite3 module opening the absolute path (never a URI).
    assert {"users", "portfolio_snapshots"} <= tables(expected)
    assert not outside.exists()  # `file:/abs` is not read as the absolute /abs

    res = cli("check", "--format", "json", "--database", url)
    assert res.exit_code == 0, (res.stdout, res.stderr)
    assert res.json()["changes"] == []

    # The backup is opened by path too, also under a relative --backup-dir.
    (shipped_schemas / "999_extra.sql").write_text("CREATE TABLE extra (id INTEGER);\n")
    res = cli("repair", "--yes", "--format", "json", "--database", url, "--backup-dir", ".")
    assert res.exit_code == 0, (res.stdout, res.stderr)
    backup = Path(res.json()["backup"])
    assert backup.parent == tmp_path
    assert {"users", "portfolio_snapshots"} <= tables(backup)
    assert "extra" not in tables(backup)
    assert "extra" in tables(expected)


IN_MEMORY = [
    ("memory", ":memory:"),
    ("sqlite-empty", "sqlite://"),
    ("sqlite-driver-empty", "sqlite+pysqlite://"),
    ("sqlite-memory", "sqlite:///:memory:"),
    ("sqlite-mode-memory", "sqlite:///x.db?mode=memory"),
    ("sqlite-mode-memory-upper", "sqlite:///x.db?cache=shared&MODE=Memory"),
    ("file-uri-mode-memory", "file:x.db?mode=memory"),
]


@pytest.mark.parametrize("url", [c[1] for c in IN_MEMORY], ids=[c[0] for c in IN_MEMORY])
@pytest.mark.parametrize("command", ["init", "check"])
def test_in_memory_database_is_refused(
    cli, shipped_schemas: Path, tmp_path: Path, url: str, command: str
) -> None:
    before = sorted(p.name for p in tmp_path.iterdir())
    res = cli(command, "--format", "json", "--database", url)
    assert res.exit_code == 78, (res.stdout, res.stderr)
    err = res.json()["error"]
    assert err["error_code"] == "DB_008"
    assert "in-memory" in err["message"] and "persist" in err["message"], err
    assert sorted(p.name for p in tmp_path.iterdir()) == before


# --- typos never fall back silently to the default database --------------------


def test_unknown_dbinit_variable_warns_naming_the_closest(
    cli, shipped_schemas: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DBINIT_DATABASE", "sqlite:///typo.db")
    monkeypatch.setenv("DBINIT_SCHEMADIR", "schemas")
    res = cli("check", "--log-format", "json")
    assert res.exit_code == 1, (res.stdout, res.stderr)
    warnings = [
        json.loads(line)
        for line in res.stderr.splitlines()
        if '"settings.unknown_variable"' in line
    ]
    messages = sorted(w["message"] for w in warnings)
    assert len(messages) == 2, res.stderr
    assert "DBINIT_DATABASE " in messages[0] and "DBINIT_DATABASE_URL" in messages[0]
    assert "DBINIT_SCHEMADIR" in messages[1] and "DBINIT_SCHEMA_DIR" in messages[1]
    assert all(w["level"] == "warning" for w in warnings)
    assert "typo.db" not in res.stderr  # the value is not repeated (it may be a secret)
    assert "DBINIT_DATABASE_URL" in res.stdout  # the text report says it too


def test_known_dbinit_variables_do_not_warn(
    cli, shipped_schemas: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DBINIT_LOG_LEVEL", "info")
    monkeypatch.setenv("dbinit_schema_dir", "schemas")  # names are not case-sensitive
    res = cli("check", "--log-format", "json")
    assert res.exit_code == 1, (res.stdout, res.stderr)
    assert "settings.unknown_variable" not in res.stderr


def test_unknown_dbinit_variable_in_dotenv_names_the_closest(
    cli, shipped_schemas: Path, tmp_path: Path
) -> None:
    write_dotenv(tmp_path, "DBINIT_DATABSE_URL=sqlite:///typo.db")
    res = cli("init", "--format", "json")
    assert res.exit_code == 78, (res.stdout, res.stderr)
    message = res.json()["error"]["message"]
    assert "DBINIT_DATABSE_URL" in message and "DBINIT_DATABASE_URL" in message, message
    assert not (tmp_path / "app.db").exists()
    assert not (tmp_path / "typo.db").exists()


# (id, dotenv lines after the host app's, line of the statement that does not parse)
BAD_DOTENV = [
    ("unterminated-double", ['DBINIT_DATABASE_URL="sqlite:///x.db', "OTHER=1"]),
    ("unterminated-single", ["DBINIT_DATABASE_URL='sqlite:///x.db"]),
    ("not-key-value", ["this is not a setting"]),
]


@pytest.mark.parametrize("lines", [c[1] for c in BAD_DOTENV], ids=[c[0] for c in BAD_DOTENV])
@pytest.mark.parametrize("fmt", ["json", "text"])
def test_unparsable_dotenv_is_a_config_error(
    cli, shipped_schemas: Path, tmp_path: Path, lines: list[str], fmt: str
) -> None:
    write_dotenv(tmp_path, *lines)
    bad_line = HOST_APP_DOTENV.count("\n") + 1
    before = sorted(p.name for p in tmp_path.iterdir())

    res = cli("init", "--format", fmt)

    assert res.exit_code == 78, (res.stdout, res.stderr)
    assert "Traceback" not in res.stdout + res.stderr
    message = res.json()["error"]["message"] if fmt == "json" else res.stdout
    assert f".env:{bad_line}" in message, message
    assert "sqlite:///x.db" not in res.stdout + res.stderr  # values are not repeated
    assert sorted(p.name for p in tmp_path.iterdir()) == before


# --- PostgreSQL connections in any spelling: the right database, or a clear no ----------

KV_SECRET = "KvSECRET9"
KEYWORD_VALUE = f"host=db.internal user=app password={KV_SECRET} dbname=app"


@pytest.mark.parametrize(
    "url",
    [
        "postgresql+psycopg2://u:pw@db.internal:5432/app",
        "postgresql+asyncpg://u:pw@db.internal:5432/app",
        "postgresql+psycopg://u:pw@db.internal:5432/app",
        "postgres+psycopg2://u:pw@db.internal:5432/app",
    ],
)
def test_sqlalchemy_postgres_urls_are_postgres_urls(
    url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from dbinit.settings import load_settings, parse_database

    for source in ("DATABASE_URL", "DBINIT_DATABASE_URL"):
        monkeypatch.setenv(source, url)
        settings = load_settings()
        monkeypatch.delenv(source)
        assert settings.database_url.split("://")[0] in ("postgresql", "postgres")
        assert settings.database_url.split("://")[1] == url.split("://")[1]
        assert any("driver part" in note for note in settings.notes)
        assert parse_database(settings.database_url).engine == "postgresql"
    settings = load_settings(database_url=url, dev_url=url.replace("/app", "/dev"))
    assert settings.database_url.startswith("postgres") and "+" not in settings.database_url
    assert settings.dev_url is not None and "+" not in settings.dev_url
    # The library's own parser takes them too.
    assert parse_database(url).url.split("://")[0] in ("postgresql", "postgres")


def test_sqlalchemy_database_url_never_becomes_app_db(
    cli, shipped_schemas: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Port 1: nothing listens; the run must try PostgreSQL (69), never create app.db.
    monkeypatch.setenv("DATABASE_URL", f"postgresql+psycopg2://u:{SECRET}@127.0.0.1:1/app")
    monkeypatch.setenv("DBINIT_RETRY_ATTEMPTS", "0")
    res = cli("init", "--format", "json", "--log-format", "json")
    assert res.exit_code == 69, (res.stdout, res.stderr)
    assert res.json()["database"].startswith("postgresql://u:***@127.0.0.1:1/app")
    assert not (tmp_path / "app.db").exists()
    assert "driver part '+psycopg2' of the URL is ignored" in res.stderr
    assert "was ignored" not in res.stderr  # not the "DATABASE_URL ignored" warning
    assert SECRET not in res.stdout + res.stderr


@pytest.mark.parametrize("source", ["DATABASE_URL", "DBINIT_DATABASE_URL", "dotenv", "cli"])
def test_keyword_value_string_is_78_masked_and_creates_nothing(
    cli, shipped_schemas: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, source: str
) -> None:
    args = ["init", "--format", "json", "--log-format", "json", "--log-level", "debug"]
    if source == "dotenv":
        write_dotenv(tmp_path, f"DATABASE_URL='{KEYWORD_VALUE}'")
    elif source == "cli":
        args += ["--database", KEYWORD_VALUE]
    else:
        monkeypatch.setenv(source, KEYWORD_VALUE)
    before = sorted(p.name for p in tmp_path.iterdir())
    res = cli(*args)
    assert res.exit_code == 78, (res.stdout, res.stderr)
    doc = res.json()
    assert doc["error"]["error_code"] == "DB_008"
    assert "keyword/value" in doc["error"]["message"]
    assert "postgresql://" in doc["error"]["message"]  # names the URL form
    assert "password=***" in doc["error"]["message"]
    assert KV_SECRET not in res.stdout + res.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == before  # no file created


@pytest.mark.parametrize(
    "value",
    ["jdbc:postgresql://db.internal:5432/app", "postgresql:app", "pgsql://u@db/app"],
)
def test_other_postgres_spellings_in_database_url_are_78_not_app_db(
    cli, shipped_schemas: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    monkeypatch.setenv("DATABASE_URL", value)
    res = cli("init", "--format", "json")
    assert res.exit_code == 78, (res.stdout, res.stderr)
    assert not (tmp_path / "app.db").exists()


def test_mask_url_hides_keyword_value_secrets() -> None:
    from dbinit.errors import mask_url

    text = (
        f"host=db port=5432 user=app password='a {KV_SECRET}' sslpassword=KEYPASS2 sslmode=require"
    )
    masked = mask_url(text)
    assert KV_SECRET not in masked and "KEYPASS2" not in masked
    assert masked.startswith("host=db port=5432 user=app password=*** sslpassword=***")
    assert masked.endswith("sslmode=require")
    for text in (
        f"cannot connect with password={KV_SECRET} now",
        f"PGPASSWORD={KV_SECRET}",
        f"postgresql://u@h/d?sslpassword={KV_SECRET}&sslmode=require",
    ):
        assert KV_SECRET not in mask_url(text), mask_url(text)
    # sslmode is not a secret: shown in URLs too.
    assert mask_url("postgresql://u:pw@h/d?sslmode=require") == (
        "postgresql://u:***@h/d?sslmode=require"
    )


# --- --pg-schema: a schema dbinit may manage ------------------------------------------------


@pytest.mark.parametrize(
    "schema", ["pg_catalog", "pg_temp", "pg_toast", "information_schema", "s" * 70, "é" * 32]
)
def test_reserved_or_too_long_pg_schema_is_2_on_the_cli_and_78_from_the_environment(
    cli, shipped_schemas: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, schema: str
) -> None:
    url = "postgresql://u@127.0.0.1:1/app"
    res = cli("check", "--database", url, "--format", "json", "--pg-schema", schema)
    assert res.exit_code == 2, (res.stdout, res.stderr)
    message = res.json()["error"]["message"]
    assert "--pg-schema" in message
    assert "Traceback" not in res.stdout + res.stderr
    assert "no CREATE statement" not in message
    monkeypatch.setenv("DBINIT_PG_SCHEMA", schema)
    res = cli("check", "--database", url, "--format", "json")
    assert res.exit_code == 78, (res.stdout, res.stderr)
    message = res.json()["error"]["message"]
    assert "DBINIT_PG_SCHEMA" in message
    assert ("reserved" in message) or ("63 bytes" in message)
    assert "Traceback" not in res.stdout + res.stderr
