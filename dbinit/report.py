"""The report every command returns: what the JSON document and the text view show."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from dbinit.changes import Change
from dbinit.errors import DbInitError

if TYPE_CHECKING:
    from dbinit.entities import Entities

IN_SYNC, DRIFT, PLANNED, APPLIED, REFUSED, ERROR = (
    "in_sync",
    "drift",
    "planned",
    "applied",
    "refused",
    "error",
)

WROTE = "wrote "  # the start of `inspect --output-dir`'s note: the SQL went to files


@dataclass
class Report:
    command: str
    database: str
    schema_dir: str
    status: str = IN_SYNC
    exit_code: int = 0
    changes: list[Change] = field(default_factory=list)
    applied: list[str] = field(default_factory=list)
    backup: str | None = None
    checks: dict[str, str] = field(
        default_factory=lambda: {"integrity": "skipped", "foreign_keys": "skipped"}
    )
    error: DbInitError | None = None
    duration_ms: float = 0.0
    notes: list[str] = field(default_factory=list)  # text-mode remarks (warnings)
    rows: list[dict[str, Any]] | None = None  # `history` and `inspect` payloads
    plan: list[str] = field(default_factory=list)  # ordered SQL of the plan (text view)
    plan_online: int = 0  # how many of `plan`'s last statements run after its transaction
    entities: Entities | None = None  # what `--format mermaid` draws
    copied: list[dict[str, Any]] | None = None  # `copy`: per table, rows and checksum
    plan_file: dict[str, Any] | None = None  # `dbinit plan`: the plan, its file and fingerprints

    @property
    def drift(self) -> list[Change]:
        """Differences in what the files declare, whatever their safety class:
        `check` exits 1 for them (extra objects are warnings, objects dbinit
        does not manage never count)."""
        return [c for c in self.changes if c.drift]

    @property
    def extras(self) -> list[Change]:
        """Objects that exist live and that no schema file declares."""
        return [c for c in self.changes if c.extra]

    def failures(self, *, allow_extra: bool) -> list[Change]:
        """What `validate` fails on: the drift, and the extras unless allowed."""
        return [c for c in self.changes if c.drift or (c.extra and not allow_extra)]

    def fail(self, error: DbInitError) -> Report:
        self.error = error
        self.exit_code = error.exit_code
        self.status = REFUSED if error.error_code == "DB_007" else ERROR
        return self

    def to_dict(self) -> dict[str, Any]:
        from dbinit import __version__

        doc: dict[str, Any] = {
            "dbinit_version": __version__,
            "command": self.command,
            "database": self.database,
            "schema_dir": self.schema_dir,
            "status": self.status,
            "exit_code": self.exit_code,
            "changes": [c.to_dict() for c in self.changes],
            "applied": list(self.applied),
            "backup": self.backup,
            "checks": dict(self.checks),
            "error": self.error.to_dict() if self.error else None,
            "duration_ms": round(self.duration_ms, 3),
        }
        if self.copied is not None:
            doc["copied"] = list(self.copied)
        if self.rows is not None:
            doc[self.command if self.command == "history" else "objects"] = self.rows
        if self.plan_file is not None:
            doc["plan_file"] = {
                k: v for k, v in self.plan_file.items() if k not in ("markdown", "text")
            }
        return doc


@dataclass
class Deploy(Report):
    """`dbinit deploy`: one report per step it ran, in order; the first failing
    step's exit code, status and error are the deploy's (`finish`)."""

    phase: str = ""  # "start" or "pre-deploy": where this run was called from
    database_step: str = ""  # where the engine's database step belongs
    steps: list[Report] = field(default_factory=list)

    def finish(self) -> Deploy:
        failed = next((s for s in self.steps if s.exit_code != 0), None)
        if self.steps:
            self.database = self.steps[0].database
        if failed is not None:
            self.status, self.exit_code, self.error = failed.status, failed.exit_code, failed.error
        else:
            applied = any(s.status == APPLIED for s in self.steps)
            self.status, self.exit_code = (APPLIED if applied else IN_SYNC), 0
        return self

    def to_dict(self) -> dict[str, Any]:
        from dbinit import __version__

        return {
            "dbinit_version": __version__,
            "command": self.command,
            "phase": self.phase,
            "database_step": self.database_step,
            "database": self.database,
            "schema_dir": self.schema_dir,
            "status": self.status,
            "exit_code": self.exit_code,
            "error": self.error.to_dict() if self.error else None,
            "steps": [s.to_dict() for s in self.steps],
            "duration_ms": round(self.duration_ms, 3),
        }
