"""The engine seam: what each database engine provides to the neutral command flow.

`engine.py` runs every command (`check`, `init`, `validate`, `repair`,
`inspect`, `history`) through a `Backend` and never asks which engine it
has; `copy` (rows of a SQLite file into the target) goes through the target
engine's `Copier` (`COPIERS`), which only PostgreSQL provides. Each engine is
one package (`dbinit/sqlite/`, `dbinit/postgres/`) whose
`backend` module exports `BACKEND`; the engine is chosen by the database URL
(`Target.engine`) and imported only when a command needs it, so the driver of
an engine nobody uses is never loaded.

A backend owns everything engine-specific: connecting and locking, building
the desired state from the schema files, introspection, diffing (what can
change in place), rendering steps to SQL, pre-commit checks, backup, the
history table. It never prints, parses options or configures logging.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple, Protocol, TypeVar

from dbinit.errors import ConfigError

if TYPE_CHECKING:
    from dbinit.entities import Entities
    from dbinit.plan import Plan, Policy
    from dbinit.report import Report
    from dbinit.run import Run
    from dbinit.settings import Target

# Where an engine's database step (`init`, then `validate`) belongs in a deploy
# (`dbinit deploy`): in the start command (a SQLite file on a volume, mounted only
# there) or in the pre-deploy command (a server reached over the network).
START, PRE_DEPLOY = "start", "pre-deploy"

# engine name (Target.engine) -> module exporting BACKEND
ENGINES = {
    "sqlite": "dbinit.sqlite.backend",
    "postgresql": "dbinit.postgres.backend",
}


class SchemaLike(Protocol):
    def is_empty(self) -> bool: ...

    def object_count(self) -> int: ...


class DesiredLike(Protocol):
    """The declared schema, built by the engine itself from the files."""

    @property
    def schema(self) -> SchemaLike: ...

    @property
    def lint(self) -> Sequence[object]: ...  # str() of each is a `file:line: message`

    @property
    def folder(self) -> str: ...

    @property
    def file_count(self) -> int: ...


class SnapshotLike(Protocol):
    """The live schema as read at one moment."""

    @property
    def schema(self) -> SchemaLike: ...

    @property
    def exists(self) -> bool: ...  # False: no database yet (everything is missing)


class Progress(Protocol):
    """What the CLI shows while a repair runs (a rich bar on a TTY)."""

    def backup(self, remaining: int, total: int) -> None: ...

    def copy_started(self, table: str, rows: int) -> None: ...

    def copy_tick(self) -> None: ...

    def copy_finished(self) -> None: ...


class CopyProgress(Protocol):
    """What the CLI shows while `copy` streams rows (a rich bar on a TTY)."""

    def table_started(self, table: str, rows: int) -> None: ...

    def advance(self, rows: int) -> None: ...

    def table_finished(self) -> None: ...


class Written(NamedTuple):
    plan: Plan  # the plan recomputed under the lock
    statements: tuple[str, ...]  # what ran, as shown and recorded (empty: nothing did)


D = TypeVar("D", bound=DesiredLike)
S = TypeVar("S", bound=SnapshotLike)


class Backend(Protocol[D, S]):
    @property
    def database_step(self) -> str:
        """`START` or `PRE_DEPLOY`: where `dbinit deploy` runs `init` and `validate`."""
        ...

    def notes(self, run: Run) -> list[str]:
        """Warnings about where the database lives (e.g. an ephemeral Railway disk)."""
        ...

    def desired(self, run: Run, *, remembered: bool = True) -> D:
        """The declared schema: with `remembered`, the model a writing run stored
        in the database for these files (same key: dbinit.remember), else built
        from the schema files (the engine parses them)."""
        ...

    def remember(self, run: Run, desired: D) -> None:
        """Store a model built from the files in the database (a writing run
        that ended in sync); best effort, never waits for a lock."""
        ...

    def read(self, run: Run) -> S:
        """The live schema, read-only; never creates anything."""
        ...

    def read_checked(self, run: Run, report: Report, integrity: str) -> tuple[S, Exception | None]:
        """The live schema plus `validate`'s checks on the same snapshot (fills
        `report.checks`); the failure found, if any."""
        ...

    def plan(self, desired: D, live: S, policy: Policy) -> Plan:
        """Diff declared against live and order the changes into a plan."""
        ...

    def may_write(self, run: Run) -> None:
        """Refuse a writing command before anything is read or written (a path
        that cannot be created, a volume that is not mounted)."""
        ...

    def conflicts(self, desired: D, live: S) -> None:
        """Refuse what the plan must not resolve (an object of another kind in
        the way of a declared one)."""
        ...

    def write(
        self,
        run: Run,
        desired: D,
        policy: Policy,
        *,
        prior: tuple[S, Plan],
        before_write: Callable[[Plan], None] | None = None,
        progress: Progress | None = None,
    ) -> Written:
        """Take the lock, recompute the plan (a blocked one raises its refusal),
        call `before_write`, apply it in one transaction, check, record history,
        commit. Nothing applied (another run did it): empty `statements`."""
        ...

    def verify(self, run: Run, desired: D, policy: Policy) -> None:
        """After the commit: what the run was to apply must be gone."""
        ...

    def backup(
        self,
        run: Run,
        folder: Path | None,
        progress: Progress | None,
        written: Callable[[Path], None],
    ) -> Path | None:
        """A copy of the database taken before a repair writes (None when there
        is nothing to copy)."""
        ...

    def export(self, live: S) -> dict[str, tuple[list[str], str]]:
        """`inspect`: file name -> (object names, SQL text) that round-trips."""
        ...

    def history(self, run: Run, limit: int | None) -> list[dict[str, Any]]:
        """Rows of the history table, newest first."""
        ...

    def fingerprint(self, state: D | S) -> str:
        """SHA-256 of the normalised model of the declared or live schema (what
        the diff compares, never provenance): equal for a database and the files
        it is in sync with; a plan file's base and target."""
        ...

    def as_live(self, run: Run, desired: D | None) -> S:
        """A declared schema taken as the live side of a plan (`dbinit plan
        --from-ref`: the files at a commit are the base); None: an empty database."""
        ...

    def entities(self, state: D | S) -> Entities:
        """Tables, columns, keys and foreign keys of the declared or live schema,
        for the engine-neutral diagram (`--format mermaid`)."""
        ...


# engine name (Target.engine) -> module exporting COPIER: the engines `dbinit copy`
# can copy rows into from a SQLite file.
COPIERS = {
    "postgresql": "dbinit.postgres.copy",
}


@dataclass(frozen=True, slots=True)
class CopyOptions:
    source: str  # the SQLite file rows are read from, as given (`--from`)
    append: bool = False  # target tables may already hold rows
    allow_data_loss: bool = False  # leave out source tables and columns no file declares
    progress: CopyProgress | None = None


@dataclass(frozen=True, slots=True)
class CopiedTable:
    table: str
    rows: int  # rows copied (= rows in the source table)
    checksum: str  # order-independent checksum of the rows, equal on both sides
    sequences: tuple[str, ...] = ()  # sequences moved forward to the copied maximum


@dataclass(frozen=True, slots=True)
class Copied:
    tables: tuple[CopiedTable, ...]
    statements: tuple[str, ...]  # what ran, as shown and recorded in the history
    notes: tuple[str, ...] = ()  # what was left out, and why


class Copier(Protocol):
    def copy(self, run: Run, desired: Any, live: Any, source: Path, options: CopyOptions) -> Copied:
        """Copy every declared table's rows from the SQLite file `source` into the target,
        in one transaction, verified (row counts, checksums) before it commits."""
        ...


def copier_for(target: Target) -> Copier:
    """The copier of the target's engine; an engine that cannot receive a copy is
    a configuration error (78)."""
    try:
        module = COPIERS[target.engine]
    except KeyError:
        raise ConfigError(
            f"dbinit copy writes into a PostgreSQL database and the target {target.label} is "
            f"{target.engine}: set --database (or DBINIT_DATABASE_URL) to the postgresql:// "
            "URL of the new database; --from names the SQLite file"
        ) from None
    copier: Copier = importlib.import_module(module).COPIER
    return copier


def backend_for(target: Target) -> Backend[Any, Any]:
    """The backend of the target's engine, imported on first use."""
    try:
        module = ENGINES[target.engine]
    except KeyError:
        raise ConfigError(f"database: no engine for {target.engine!r} URLs") from None
    backend: Backend[Any, Any] = importlib.import_module(module).BACKEND
    return backend
