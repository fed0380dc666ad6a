"""`dbinit.database_url()` / `dbinit.database_path()`: the database dbinit uses, for
the application to open the same one (every setting source, the Railway volume
rule), and the warning on Railway when no source set the database."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
import structlog

import dbinit

URL = "postgresql://app:s3cret@db.internal:5432/app"


def warnings_of(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [
        r.getMessage()
        for r in caplog.records
        if r.name == "dbinit" and r.getMessage().startswith("railway.default_database")
    ]


def test_default_is_app_db_in_the_working_directory_made_absolute(tmp_path: Path) -> None:
    assert dbinit.database_url() == f"sqlite:///{tmp_path / 'app.db'}"
    assert dbinit.database_url().startswith("sqlite:////")
    assert dbinit.database_path() == tmp_path / "app.db"
    assert not (tmp_path / "app.db").exists()  # resolving creates nothing


@pytest.mark.parametrize(
    ("source", "value", "expected"),
    [
        ("DBINIT_DATABASE_URL", "sqlite:///data/one.db", "data/one.db"),
        ("DATABASE_URL", "sqlite:///two.db", "two.db"),
        (".env", "DBINIT_DATABASE_URL=sqlite:///three.db\n", "three.db"),
        (".env DATABASE_URL", "DATABASE_URL=sqlite:///four.db\n", "four.db"),
        ("pyproject", '[tool.dbinit]\ndatabase_url = "five.db"\n', "five.db"),
    ],
)
def test_every_setting_source(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, source: str, value: str, expected: str
) -> None:
    if source.startswith(".env"):
        (tmp_path / ".env").write_text(value)
    elif source == "pyproject":
        (tmp_path / "pyproject.toml").write_text(value)
    else:
        monkeypatch.setenv(source, value)
    assert dbinit.database_path() == tmp_path / expected
    assert dbinit.database_url() == f"sqlite:///{tmp_path / expected}"


def test_the_argument_wins_and_a_path_is_accepted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DBINIT_DATABASE_URL", "sqlite:///env.db")
    assert dbinit.database_path(tmp_path / "sub" / "given.db") == tmp_path / "sub" / "given.db"
    assert dbinit.database_url("sqlite:////abs/x.db") == "sqlite:////abs/x.db"


def test_the_railway_volume_default_and_a_set_database_beats_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    vol = tmp_path / "volume"
    monkeypatch.setenv("RAILWAY_VOLUME_MOUNT_PATH", str(vol))
    assert dbinit.database_url() == f"sqlite:///{vol / 'app.db'}"
    assert dbinit.database_path() == vol / "app.db"
    monkeypatch.setenv("DATABASE_URL", "sqlite:///mine.db")
    assert dbinit.database_path() == tmp_path / "mine.db"


def test_a_postgresql_url_comes_back_whole(monkeypatch: pytest.MonkeyPatch) -> None:
    """The app needs the password to connect: the URL is not masked (never log it)."""
    monkeypatch.setenv("DATABASE_URL", URL)
    assert dbinit.database_url() == URL
    assert dbinit.database_path() is None


def test_a_bad_setting_is_a_dbinit_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DBINIT_DATABASE_URL", "mysql://u:hunter2@h/db")
    with pytest.raises(dbinit.DbInitError) as info:
        dbinit.database_url()
    assert info.value.exit_code == 78
    assert "hunter2" not in str(info.value)


def test_on_railway_without_a_database_set_the_library_warns(
    shipped_schemas: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    structlog.reset_defaults()
    monkeypatch.setenv("RAILWAY_ENVIRONMENT", "production")
    with caplog.at_level(logging.WARNING, logger="dbinit"):
        dbinit.database_url()  # the remedy itself is silent
        assert warnings_of(caplog) == []
        dbinit.ensure_database_ready()
    (warning,) = warnings_of(caplog)
    assert str(tmp_path / "app.db") in warning
    assert "dbinit.database_url()" in warning and "DBINIT_DATABASE_URL" in warning

    caplog.clear()
    monkeypatch.setenv("DBINIT_DATABASE_URL", "sqlite:///app.db")  # set explicitly
    with caplog.at_level(logging.WARNING, logger="dbinit"):
        dbinit.ensure_database_ready()
    assert warnings_of(caplog) == []


def test_off_railway_no_warning(shipped_schemas: Path, caplog: pytest.LogCaptureFixture) -> None:
    structlog.reset_defaults()
    with caplog.at_level(logging.WARNING, logger="dbinit"):
        dbinit.ensure_database_ready()
    assert warnings_of(caplog) == []
