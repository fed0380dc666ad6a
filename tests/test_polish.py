"""Issue 18 §4: the small defects a new user met in the trial (docs, output, hints)."""

from __future__ import annotations

import json
import re

from tests.conftest import REPO

EXAMPLES = REPO / "examples"


def railway_deploy_blocks() -> list[tuple[str, dict[str, object]]]:
    found: list[tuple[str, dict[str, object]]] = []
    for path in sorted(EXAMPLES.glob("*/railway.json")):
        found.append((str(path.relative_to(REPO)), json.loads(path.read_text())["deploy"]))
    page = (REPO / "docs" / "railway.md").read_text(encoding="utf-8")
    for block in re.findall(r"```json\n(.*?)```", page, re.S):
        if block.lstrip().startswith("{") and "--8<--" not in block:
            found.append(("docs/railway.md", json.loads(block)["deploy"]))
    return found


def test_no_railway_restart_policy_loops_on_a_failure_that_repeats() -> None:
    """A pending rebuild exits 3 on every start: an unbounded ON_FAILURE (or ALWAYS)
    restarts it forever. Every railway.json we show bounds its restarts."""
    blocks = railway_deploy_blocks()
    assert len(blocks) >= 4
    for where, deploy in blocks:
        policy = deploy.get("restartPolicyType")
        if policy is None or policy == "NEVER":
            continue
        assert policy == "ON_FAILURE", (where, deploy)
        retries = deploy.get("restartPolicyMaxRetries")
        assert isinstance(retries, int) and 0 < retries <= 5, (where, deploy)
