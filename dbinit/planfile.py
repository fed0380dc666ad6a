"""Reviewed plan files: what `dbinit plan` writes and what `init` applies only when approved.

A plan file is one SQL file in the plans folder (default `plans/` beside the
schema folder, never inside it): a header of `-- ` comment lines (the base and
target fingerprints, dbinit's version, each change's safety and hazards,
whether it may lose rows) and then the exact statements that run. Approval is
the file being in the repository: `init` (and so `deploy`) applies a rebuild
or destructive change only when a plan file's base equals the live model's
fingerprint, its target equals the files' fingerprint and its statements are
byte for byte what dbinit computes now.

Engine-neutral: the engine gives the fingerprint of a model and the plan; this
module never builds SQL, never asks which engine it has, never prints.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dbinit.changes import Safety
from dbinit.errors import ConfigError, Refused, SchemaMissing
from dbinit.errors import PermissionDenied as PermissionDeniedError
from dbinit.plan import Mode, Plan, Policy

if TYPE_CHECKING:
    from dbinit.report import Report
    from dbinit.run import Run

MAGIC = "-- dbinit plan"
BODY = "-- statements: exactly what runs, in order (regenerate with `dbinit plan`; do not edit)"
ONLINE = "-- online phase: after the transaction commits, each statement on its own"
EVERYTHING = Policy(Mode.REPAIR, allow_data_loss=True, prune=True)


# --- fingerprints ----------------------------------------------------------------------


def canonical(value: Any) -> Any:
    """A JSON-able form of a model: dataclasses by their compared fields only
    (provenance is `compare=False`), dicts as sorted pairs, enums by value."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        out: dict[str, Any] = {"": type(value).__name__}
        for f in dataclasses.fields(value):
            if f.compare:
                out[f.name] = canonical(getattr(value, f.name))
        return out
    if isinstance(value, Enum):
        return canonical(value.value)
    if isinstance(value, dict):
        pairs = [[canonical(k), canonical(v)] for k, v in value.items()]
        return sorted(pairs, key=lambda p: json.dumps(p, sort_keys=True))
    if isinstance(value, set | frozenset):
        return sorted((canonical(v) for v in value), key=lambda v: json.dumps(v, sort_keys=True))
    if isinstance(value, list | tuple):
        return [canonical(v) for v in value]
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return repr(value)


def fingerprint(model: Any) -> str:
    """SHA-256 of the canonical JSON of a normalised model."""
    text = json.dumps(canonical(model), sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return "sha256:" + hashlib.sha256(text.encode("utf-8")).hexdigest()


# --- where plan files live -------------------------------------------------------------


def plans_dir(run: Run, output_dir: str | None = None) -> Path:
    """The plans folder: `--output-dir`, else the `plans_dir` setting, else
    `plans/` beside the schema folder. Inside the schema folder it would be read
    as schema files: a configuration error (78)."""
    schema_dir = Path(run.settings.schema_dir)
    chosen = output_dir or run.settings.plans_dir
    folder = Path(chosen) if chosen else schema_dir.parent / "plans"
    a, b = folder.absolute().resolve(), schema_dir.absolute().resolve()
    if a == b or b in a.parents:
        raise ConfigError(
            f"plans folder {folder} is inside the schema folder {schema_dir}: its files "
            "would be read as schema files; choose another (--output-dir, DBINIT_PLANS_DIR)"
        )
    return folder


def file_name(base: str, target: str) -> str:
    return f"{_short(base)}-{_short(target)}.sql"


def _short(fp: str) -> str:
    return fp.removeprefix("sha256:")[:12]


# --- the file ----------------------------------------------------------------------------


def body(plan: Plan) -> str:
    """The statements, in the order they run; PostgreSQL's online ones marked."""
    lines = [BODY]
    online_started = False
    for step in plan.steps:
        now = [s for s in step.statements if not s.online]
        later = [s for s in step.statements if s.online]
        if now:
            lines.append(f"-- step: {_one_line(step.description)}")
            lines += [st.display() + ";" for st in now]
        if later:
            if not online_started:
                lines.append(ONLINE)
                online_started = True
            lines.append(f"-- step (online): {_one_line(step.description)}")
            lines += [st.display() + ";" for st in later]
    return "\n".join(lines) + "\n"


def _one_line(text: str) -> str:
    return " ".join(str(text).split())


def needs_approval(plan: Plan) -> bool:
    """Anything but safe changes among what the plan applies."""
    return any(c.safety is not Safety.SAFE for step in plan.steps for c in step.changes)


@dataclass(frozen=True, slots=True)
class PlanText:
    text: str
    markdown: str
    loses: tuple[str, ...]


def render(
    plan: Plan,
    *,
    base: str,
    target: str,
    base_label: str,
    engine: str,
    name: str,
    loses: tuple[str, ...],
    allow_data_loss: bool,
) -> PlanText:
    from dbinit import __version__

    head = [
        MAGIC,
        f"-- base: {base}",
        f"-- target: {target}",
        f"-- dbinit-version: {__version__}",
        f"-- engine: {engine}",
        f"-- base-from: {_one_line(base_label)}",
        f"-- allow-data-loss: {'yes' if allow_data_loss else 'no'}",
    ]
    for why in loses:
        head.append(f"-- loses data: {_one_line(why)}")
    head.append("-- changes:")
    for c in plan.changes:
        where = f"{c.table}.{c.column}" if c.column else c.name
        head.append(
            f"--   {c.safety.value} {c.kind.value} {_one_line(where)}: {_one_line(c.detail)}"
        )
        for h in c.hazards:
            head.append(f"--     hazard {h.type}: {_one_line(h.detail)}")
    text = "\n".join(head) + "\n\n" + body(plan)
    n = len(plan.statements)
    md = [
        f"### dbinit plan `{name}`: {len(plan.changes)} change(s), {n} statement(s)",
        "",
        f"Base `{_short(base)}` ({_one_line(base_label)}) → target `{_short(target)}`"
        f" (the schema files); dbinit {__version__}, {engine}.",
        "",
    ]
    if needs_approval(plan):
        md.append(
            f"**Needs approval**: rebuild or destructive changes; `dbinit deploy` applies them "
            f"only with `{name}` committed in the plans folder, unchanged."
        )
    else:
        md.append("Safe changes only: no plan file is needed to apply them.")
    if loses:
        flag = "says so" if allow_data_loss else "does not say so: deploy needs --allow-data-loss"
        md += ["", "**Loses data**: " + "; ".join(loses) + f" (the header {flag})."]
    md += ["", "| safety | change | object | detail |", "| --- | --- | --- | --- |"]
    for c in plan.changes:
        where = f"{c.table}.{c.column}" if c.column else c.name
        detail = _cell(c.detail) + "".join(
            f"<br>hazard {_cell(h.type)}: {_cell(h.detail)}" for h in c.hazards
        )
        md.append(f"| {c.safety.value} | {c.kind.value} | `{_cell(where)}` | {detail} |")
    md += ["", "<details><summary>SQL</summary>", "", "```sql", body(plan).rstrip("\n"), "```"]
    md += ["", "</details>", ""]
    return PlanText(text, "\n".join(md), loses)


def _cell(text: str) -> str:
    return _one_line(text).replace("|", "\\|")


@dataclass(frozen=True, slots=True)
class PlanFile:
    path: Path
    base: str
    target: str
    allow_data_loss: bool
    body: str
    digest: str  # sha256 of the file's bytes


def read(path: Path) -> PlanFile | None:
    """A plan file's header and statements (None: not a dbinit plan file)."""
    try:
        data = path.read_bytes()
        text = data.decode("utf-8")
    except (OSError, UnicodeDecodeError):
        return None
    if not text.startswith(MAGIC + "\n"):
        return None
    header: dict[str, str] = {}
    for line in text.splitlines():
        if not line.startswith("-- ") or line == BODY:
            break
        key, sep, value = line[3:].partition(": ")
        if sep and key not in header:
            header[key] = value.strip()
    at = text.find("\n" + BODY + "\n")
    if at < 0 or "base" not in header or "target" not in header:
        return None
    return PlanFile(
        path,
        header["base"],
        header["target"],
        header.get("allow-data-loss") == "yes",
        text[at + 1 :],
        "sha256:" + hashlib.sha256(data).hexdigest(),
    )


def write_atomically(path: Path, text: str) -> None:
    """The plan file, whole or not at all; an OS failure is the contract's error."""
    from dbinit.errors import IOFailure, from_os

    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise from_os(exc, path.parent, creating_parent=True, what="plans") from None
    try:
        fd, tmp = tempfile.mkstemp(prefix=".dbinit-plan-", suffix=".tmp", dir=path.parent)
    except OSError as exc:
        err = from_os(exc, path)
        if not isinstance(err, IOFailure | PermissionDeniedError):
            err = IOFailure(f"Cannot write {path}: {exc.strerror or exc}")
        raise err from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as fh:
            fh.write(text)
        os.replace(tmp, path)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        raise IOFailure(f"Cannot write {path}: {exc.strerror or exc}") from None
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


# --- what the plan needs, seen the same way by `plan` and by `init` ----------------------


@dataclass(frozen=True, slots=True)
class Computed:
    plan: Plan  # everything, with data loss and pruning allowed: the statements of the file
    base: str
    target: str
    loses: tuple[str, ...]  # why the plan loses rows or values (empty: it keeps them all)


def compute(run: Run, desired: Any, live: Any) -> Computed:
    from dbinit import engine

    plan = engine.compute(run, desired, live, EVERYTHING)
    guarded = run.backend.plan(
        desired, live, Policy(Mode.REPAIR, allow_data_loss=False, prune=True)
    )
    loses = tuple(_label(c) for c in guarded.blocked)
    return Computed(plan, run.backend.fingerprint(live), run.backend.fingerprint(desired), loses)


def _label(c: Any) -> str:
    from dbinit.plan import change_label

    return change_label(c)


# --- approval (`init`, `deploy`) --------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Approved:
    file: PlanFile
    policy: Policy
    plan: Plan
    statements: tuple[str, ...]


def approved(
    run: Run, desired: Any, live: Any, *, required: bool, allow_data_loss: bool = False
) -> Approved | None:
    """The approved plan file for going from `live` to `desired`, or None when
    there is none and none is `required` (only kept extras: init keeps them).
    A required plan that is missing or stale is refused (3), naming the file
    and the command that regenerates it."""
    try:
        folder = plans_dir(run)
    except ConfigError as exc:
        if not required:
            return None
        raise Refused(f"no approved plan: {exc.message}", details="nothing was changed") from None
    try:
        paths = sorted(folder.glob("*.sql"))
    except OSError:  # an unreadable folder holds no plan dbinit can check
        paths = []
    files = [f for p in paths if (f := read(p)) is not None]
    if not files and not required:
        return None
    now = compute(run, desired, live)
    want = folder / file_name(now.base, now.target)
    regen = f"regenerate it with `dbinit plan` (or `dbinit plan --from-ref REF`) and commit {want}"
    exact = [f for f in files if f.base == now.base and f.target == now.target]
    if not exact:
        if not required:
            return None
        stale = [f for f in files if f.target == now.target]
        if stale:
            why = (
                f"plan file {stale[0].path} is stale: the database is not its base "
                f"(live {_short(now.base)}, the plan's base {_short(stale[0].base)})"
            )
        elif any(f.base == now.base for f in files):
            f = next(f for f in files if f.base == now.base)
            why = (
                f"plan file {f.path} is stale: the schema files changed since it was made "
                f"(files {_short(now.target)}, the plan's target {_short(f.target)})"
            )
        else:
            why = f"no approved plan: {want} is missing"
        raise Refused(f"{why}; {regen}", details="nothing was changed")
    chosen = exact[0]
    if chosen.body != body(now.plan):
        raise Refused(
            f"plan file {chosen.path} is stale: dbinit now computes different statements "
            f"than the file holds; {regen}",
            details="nothing was changed; `dbinit plan` shows the statements it computes",
        )
    if now.loses and not (chosen.allow_data_loss or allow_data_loss):
        raise Refused(
            f"plan file {chosen.path} loses data ({'; '.join(now.loses)}) and its header says "
            "allow-data-loss: no; pass --allow-data-loss, or regenerate it with "
            "`dbinit plan --allow-data-loss` and commit it",
            details="nothing was changed",
        )
    policy = Policy(Mode.REPAIR, allow_data_loss=True, prune=True)
    return Approved(chosen, policy, now.plan, tuple(s.display() for s in now.plan.statements))


# --- `dbinit plan` ----------------------------------------------------------------------


def plan(
    run: Run,
    report: Report,
    *,
    from_ref: str | None = None,
    output_dir: str | None = None,
    allow_data_loss: bool = False,
    check: bool = False,
) -> None:
    """Compute the plan from a base (the database, or the schema files at a git
    ref) to the files; write it as one reviewable SQL file (nothing to plan: no
    file). With `check`, write nothing and refuse (3) when the plan needs approval
    and the plans folder has no file that approves it."""
    from dbinit import engine
    from dbinit.errors import mask_url
    from dbinit.report import IN_SYNC, PLANNED

    # With --from-ref no database is read, not even the model it remembers.
    desired = engine.load_desired(run, remembered=not from_ref)
    folder = plans_dir(run, output_dir)
    if from_ref:
        live = base_from_ref(run, from_ref)
        label = f"the schema files at git {from_ref}"
    else:
        live = run.backend.read(run)
        label = f"the database {mask_url(run.target.url)}"
    run.backend.conflicts(desired, live)
    now = compute(run, desired, live)
    report.changes = list(now.plan.changes)
    if now.plan.refused:
        raise Refused(now.plan.refused, details="nothing was planned")
    if now.plan.blocked:
        from dbinit.plan import refusal

        raise refusal(now.plan, "repair")
    extra: dict[str, Any] = {"base": now.base, "target": now.target, "file": None}
    report.plan_file = extra
    if now.plan.is_empty():
        report.status, report.exit_code = IN_SYNC, 0
        return
    path = folder / file_name(now.base, now.target)
    shown = render(
        now.plan,
        base=now.base,
        target=now.target,
        base_label=label,
        engine=run.target.engine,
        name=str(path),
        loses=now.loses,
        allow_data_loss=allow_data_loss,
    )
    extra.update(
        file=str(path),
        needs_approval=needs_approval(now.plan),
        loses_data=list(now.loses),
        allow_data_loss=allow_data_loss,
        statements=[s.display() for s in now.plan.statements if not s.online],
        online=[s.display() for s in now.plan.statements if s.online],
        markdown=shown.markdown,
        text=shown.text,
    )
    report.plan = [s.display() for s in now.plan.statements]
    if check:
        extra["checked"] = True
        if needs_approval(now.plan):
            ok = approved(run, desired, live, required=True, allow_data_loss=True)
            extra["approved_by"] = str(ok.file.path) if ok else None
        report.status, report.exit_code = PLANNED, 0
        return
    write_atomically(path, shown.text)
    extra["written"] = True
    report.status, report.exit_code = PLANNED, 0


# --- `--from-ref` -----------------------------------------------------------------------


def base_from_ref(run: Run, ref: str) -> Any:
    """The model the schema files at `ref` declare, built where the engine builds
    any declared model (SQLite: in memory; PostgreSQL: the scratch space), to be
    the plan's base: no production database is read."""
    with schema_at_ref(Path(run.settings.schema_dir), ref) as folder:
        settings = run.settings.model_copy(update={"schema_dir": str(folder)})
        other = dataclasses.replace(run, settings=settings)
        try:
            base = run.backend.desired(other, remembered=False)
        except SchemaMissing:
            base = None
        if base is None or base.schema.is_empty():
            return run.backend.as_live(run, None)
        return run.backend.as_live(run, base)


@contextmanager
def schema_at_ref(schema_dir: Path, ref: str) -> Iterator[Path]:
    """The schema folder as it is at git `ref`, extracted into a temporary folder."""
    if ref.startswith("-"):
        raise ConfigError(f"--from-ref {ref!r} is not a git ref")
    where = schema_dir.absolute()
    probe = where if where.is_dir() else where.parent
    while not probe.exists():
        probe = probe.parent
    top = _git(probe, "rev-parse", "--show-toplevel").strip()
    try:
        _git(probe, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}")
    except ConfigError:
        raise ConfigError(
            f"--from-ref {ref!r} is not a commit of the repository at {top} "
            "(in CI, fetch it first: `git fetch origin main`)"
        ) from None
    rel = os.path.relpath(where.resolve(), Path(top).resolve())
    with tempfile.TemporaryDirectory(prefix="dbinit-ref-") as tmp:
        listing = _git(Path(top), "ls-tree", "-r", "-z", "--name-only", ref, "--", rel)
        out = Path(tmp) / "schemas"
        out.mkdir()
        for name in filter(None, listing.split("\0")):
            data = _git_bytes(Path(top), "show", f"{ref}:{name}")
            dest = out / os.path.relpath(name, rel)
            dest.parent.mkdir(parents=True, exist_ok=True)
            dest.write_bytes(data)
        yield out


def _git(cwd: Path, *args: str) -> str:
    return _git_bytes(cwd, *args).decode("utf-8", "replace")


def _git_bytes(cwd: Path, *args: str) -> bytes:
    try:
        done = subprocess.run(["git", *args], cwd=cwd, capture_output=True, check=False, timeout=60)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise ConfigError(f"--from-ref needs git: {exc}") from None
    if done.returncode != 0:
        reason = done.stderr.decode("utf-8", "replace").strip().splitlines()
        raise ConfigError(
            f"--from-ref: git {args[0]} failed: {reason[0] if reason else done.returncode}"
        )
    return done.stdout
