"""psycopg's own warnings never reach stderr raw: "error ignored terminating
<psycopg.Pipeline …>: pipeline aborted" after a failing schema file was printed
by Python's last-resort logging handler under the report."""

from __future__ import annotations

import logging
import subprocess
from pathlib import Path

import pytest

from tests.conftest import child_env, write_schema
from tests.postgres.helpers import DBINIT, HANG_GUARD, url_of


def test_a_failing_pipeline_leaves_no_psycopg_warning_on_stderr(
    pg_url: str, tmp_path: Path
) -> None:
    many = "".join(f"CREATE TABLE t{i} (id int, name text);\n" for i in range(300))
    write_schema(tmp_path / "schemas", {"a.sql": "CREATE TABLE c (id int AUTOINCREMENT);\n" + many})
    for log_format in ("json", "console"):
        done = subprocess.run(
            [DBINIT, "check", "--database", url_of(pg_url, "postgres"), "--log-format", log_format],
            env=child_env(),
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=HANG_GUARD,
            check=False,
        )
        assert done.returncode == 65, done.stdout + done.stderr
        assert "AUTOINCREMENT" in done.stdout
        assert "error ignored" not in done.stderr, done.stderr
        assert "pipeline aborted" not in done.stderr, done.stderr


def test_psycopg_warnings_become_dbinit_log_events(capsys: pytest.CaptureFixture[str]) -> None:
    from dbinit import logs

    logs.configure("json", None)  # the default level: info
    logging.getLogger("psycopg").warning(
        "error ignored terminating %r: %s", "<P>", "pipeline aborted"
    )
    logging.getLogger("psycopg").warning("something else: %s", "x")
    err = capsys.readouterr().err
    assert "error ignored" not in err
    assert '"event": "driver.warning"' in err and "something else: x" in err
