"""One command's context: its settings, its database, its engine and its time budget.

Engine-neutral. The engine (`backend`) is chosen from the database URL by
`dbinit.backend.backend_for`; nothing here opens a database.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from dbinit.backend import Backend
    from dbinit.settings import Settings, Target


@dataclass(frozen=True, slots=True)
class Retry:
    attempts: int
    delay: float
    deadline: float  # time.monotonic() value

    def remaining(self) -> float:
        return self.deadline - time.monotonic()

    @staticmethod
    def ms_until(moment: float) -> int:
        return max(0, int((moment - time.monotonic()) * 1000))


@dataclass
class Run:
    """One command's context: its settings, where the database is, its time budget."""

    command: str
    settings: Settings
    target: Target
    retry: Retry
    started: float
    backend: Backend[Any, Any]
    # What a writing run has committed (set by the engine's backend the moment its
    # transaction commits): a signal after that point must not be reported as a
    # rollback, and `repair`'s backup of the database before it is kept.
    committed: tuple[str, ...] | None = None
    plan_file: str | None = None  # the approved plan file applied: "path sha256:…"

    @property
    def recorded_command(self) -> str:
        """The command as the history table records it (with the plan file applied)."""
        return f"{self.command} {self.plan_file}" if self.plan_file else self.command
