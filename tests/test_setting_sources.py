"""An invalid setting value says which setting and where it came from (docs/settings.md)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import write_schema

SCHEMA = {"001.sql": "CREATE TABLE t (id INTEGER PRIMARY KEY);\n"}


@pytest.mark.parametrize(
    ("where", "expected"),
    [
        ("environment", "environment variable DBINIT_RETRY_ATTEMPTS"),
        (".env", "DBINIT_RETRY_ATTEMPTS in the .env file"),
        ("pyproject", "retry_attempts in [tool.dbinit] of pyproject.toml"),
    ],
)
def test_an_invalid_value_names_its_source(
    cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, where: str, expected: str
) -> None:
    monkeypatch.chdir(tmp_path)
    write_schema(tmp_path / "schemas", SCHEMA)
    env = {}
    if where == "environment":
        env["DBINIT_RETRY_ATTEMPTS"] = "abc"
    elif where == ".env":
        (tmp_path / ".env").write_text("DBINIT_RETRY_ATTEMPTS=abc\n")
    else:
        (tmp_path / "pyproject.toml").write_text('[tool.dbinit]\nretry_attempts = "abc"\n')
    res = cli("check", "-f", "json", env=env)
    assert res.exit_code == 78, res.stdout
    message = res.json()["error"]["message"]
    assert "retry_attempts" in message and expected in message, message
    assert not (tmp_path / "app.db").exists()


def test_the_environment_wins_and_is_named(
    cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    write_schema(tmp_path / "schemas", SCHEMA)
    (tmp_path / ".env").write_text("DBINIT_RETRY_ATTEMPTS=3\n")
    res = cli("check", "-f", "json", env={"DBINIT_RETRY_ATTEMPTS": "-1"})
    assert res.exit_code == 78
    assert "environment variable DBINIT_RETRY_ATTEMPTS" in res.json()["error"]["message"]
