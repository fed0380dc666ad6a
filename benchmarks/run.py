"""Run every dbinit benchmark next to the tools users would pick instead.

    python benchmarks/run.py                 # full run (about 10-15 minutes)
    python benchmarks/run.py --quick         # smaller sizes, fewer repeats
    python benchmarks/run.py --smoke         # seconds; proves the harness works (CI)
    python benchmarks/run.py --out FILE.json # where to save the results

Every figure is a whole-process run (imports included), repeated; the table
shows the median and min–max, and each goal is a ratio taken within this one
run so that machine noise cancels out. Peers that are not installed (Alembic,
SQLAlchemy, yoyo-migrations, the sqlite3 shell, sqldiff) are reported as
skipped; see benchmarks/README.md for how to install them.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))

import gen  # noqa: E402

PY = sys.executable
BIN = Path(sys.executable).parent
DBINIT = str(BIN / "dbinit")
HEAVY = ("pydantic", "pydantic_settings", "structlog", "sqlite_utils", "rich")


@dataclass
class Sizes:
    repeat: int
    startup_repeat: int
    tables: tuple[int, ...]
    rows: int
    memory_rows: tuple[int, ...]
    validate_mb: int


MODES = {
    "full": Sizes(5, 20, (10, 100, 1000), 1_000_000, (10_000, 100_000, 1_000_000), 1024),
    "quick": Sizes(3, 10, (10, 100, 1000), 200_000, (10_000, 100_000), 100),
    "smoke": Sizes(2, 2, (10, 20), 2_000, (1_000, 2_000), 2),
}


@dataclass
class Row:
    group: str
    name: str
    tool: str
    median_s: float | None = None
    min_s: float | None = None
    max_s: float | None = None
    runs: int = 0
    peak_rss_mb: float | None = None
    note: str = ""
    extra: dict[str, float] = field(default_factory=dict)


@dataclass
class Goal:
    text: str
    value: float | None
    limit: str
    ok: bool | None


@dataclass
class Run:
    seconds: float
    rss_kb: int
    code: int
    stdout: str
    stderr: str


GNU_TIME = shutil.which("time") if Path("/usr/bin/time").exists() else None


def once(cmd: list[str], cwd: Path, stdin: str | None = None) -> Run:
    """One whole process: wall time, peak RSS and exit code.

    Peak RSS comes from GNU time, which forks from its own small process: a
    child forked from this (larger) Python would report our pages as its own.
    """
    rss_file = Path(tempfile.mkstemp(prefix="rss")[1])
    if GNU_TIME:
        cmd = [GNU_TIME, "-q", "-f", "%M", "-o", str(rss_file), *cmd]
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        env = {k: v for k, v in os.environ.items() if not k.startswith("DBINIT_")}
        env["DBINIT_LOG_LEVEL"] = env.get("BENCH_LOG_LEVEL", "error")
        t0 = time.perf_counter()
        proc = subprocess.Popen(
            cmd,
            cwd=cwd,
            stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL,
            stdout=out,
            stderr=err,
            env=env,
            text=True,
        )
        if stdin is not None:
            assert proc.stdin is not None
            proc.stdin.write(stdin)
            proc.stdin.close()
        code = proc.wait()
        seconds = time.perf_counter() - t0
        out.seek(0)
        err.seek(0)
        text = rss_file.read_text().strip().splitlines()
        rss_file.unlink()
        rss = int(text[-1]) if GNU_TIME and text and text[-1].isdigit() else 0
        return Run(seconds, rss, code, out.read(), err.read())


def measure(
    group: str,
    name: str,
    tool: str,
    cmd: list[str],
    cwd: Path,
    repeat: int,
    *,
    setup: object = None,
    stdin: str | None = None,
    ok_codes: tuple[int, ...] = (0,),
) -> Row:
    times: list[float] = []
    rss: list[int] = []
    last: Run | None = None
    for _ in range(repeat):
        if callable(setup):
            setup()
        last = once(cmd, cwd, stdin)
        if last.code not in ok_codes:
            tail = (last.stderr.strip().splitlines() or ["?"])[-1][:200]
            return Row(group, name, tool, note=f"failed (exit {last.code}): {tail}")
        times.append(last.seconds)
        rss.append(last.rss_kb)
    row = Row(
        group,
        name,
        tool,
        statistics.median(times),
        min(times),
        max(times),
        len(times),
        round(statistics.median(rss) / 1024, 1) if all(rss) else None,
    )
    row.extra["_stderr"] = 0.0
    row.__dict__["_last"] = last
    return row


def available(*names: str) -> str | None:
    """None when every tool is there, else what is missing."""
    missing = []
    for name in names:
        if name in ("sqlite3", "sqldiff"):
            if shutil.which(name) is None:
                package = "sqlite3" if name == "sqlite3" else "sqlite3-tools"
                missing.append(f"{name} (apt-get install {package})")
        else:
            try:
                __import__(name)
            except ImportError:
                missing.append(f"{name} (pip install -e '.[bench]')")
    return ", ".join(missing) or None


def skipped(group: str, name: str, tool: str, why: str) -> Row:
    return Row(group, name, tool, note=f"skipped: {why} not installed")


def peer(needs: tuple[str, ...], group: str, name: str, tool: str, *args: Any, **kw: Any) -> Row:
    """`measure`, or a skipped row when a tool it needs is not installed."""
    why = available(*needs)
    return skipped(group, name, tool, why) if why else measure(group, name, tool, *args, **kw)


# --- the measurements ---------------------------------------------------------


def startup(work: Path, sizes: Sizes) -> list[Row]:
    shutil.copytree(REPO / "schemas", work / "schemas")
    once([DBINIT, "init", "-q"], work)
    r = sizes.startup_repeat
    rows = [
        measure(
            "startup", "python -c 'import sqlite3'", "python", [PY, "-c", "import sqlite3"], work, r
        ),
        measure(
            "startup",
            "bare import of the 5 runtime libraries",
            "python",
            [PY, "-c", "import typer, rich, sqlite_utils, pydantic_settings, structlog"],
            work,
            r,
        ),
        measure("startup", "dbinit --version", "dbinit", [DBINIT, "--version"], work, r),
        measure(
            "startup", "dbinit check (seed schema, in sync)", "dbinit", [DBINIT, "check"], work, r
        ),
    ]
    probe = once([PY, "-X", "importtime", "-m", "dbinit", "--version"], work)
    loaded = {
        line.split("|")[-1].strip().split(".")[0]
        for line in probe.stderr.splitlines()
        if "|" in line
    }
    heavy = sorted(set(HEAVY) & loaded)
    rows[2].note = "heavy imports: " + (", ".join(heavy) if heavy else "none")
    rows[2].extra["heavy_imports"] = float(len(heavy))
    return rows


def check_and_init(work: Path, sizes: Sizes) -> list[Row]:
    rows: list[Row] = []
    for n in sizes.tables:
        case = work / f"t{n}"
        schemas = gen.write_schema(case / "schemas", n)
        live = gen.write_live(case / "live.src.db", n)
        db = case / "live.db"
        shutil.copy(live, db)
        name = f"check, {n} tables"
        rows.append(
            measure(
                "check",
                name,
                "dbinit",
                [DBINIT, "check", "--format", "json", "-d", str(db)],
                case,
                sizes.repeat,
                ok_codes=(1,),
            )
        )
        rows.append(
            measure(
                "check",
                name,
                "stdlib floor",
                [PY, str(HERE / "floor.py"), "check", str(schemas), str(db)],
                case,
                sizes.repeat,
                ok_codes=(1,),
            )
        )
        rows.append(
            peer(
                (
                    "alembic",
                    "sqlalchemy",
                ),
                "check",
                name,
                "Alembic compare_metadata",
                [PY, str(HERE / "peers.py"), "alembic-check", str(n), str(db)],
                case,
                sizes.repeat,
                ok_codes=(1,),
            )
        )
        script = (
            f"rm -f ref.db && cat {schemas}/*.sql | sqlite3 ref.db && sqldiff --schema {db} ref.db"
        )
        rows.append(
            peer(
                ("sqlite3", "sqldiff"),
                "check",
                name,
                "sqldiff --schema",
                ["sh", "-c", script],
                case,
                sizes.repeat,
            )
        )

        # Unchanged files: the database `init` made remembers the desired model.
        made = case / "made.db"
        once([DBINIT, "init", "-q", "-d", str(made)], case)
        name = f"check, {n} tables, files unchanged"
        for tool, cmd in (
            ("dbinit", [DBINIT, "check", "--format", "json", "-d", str(made)]),
            ("stdlib floor", [PY, str(HERE / "floor.py"), "check", str(schemas), str(made)]),
        ):
            rows.append(measure("check", name, tool, cmd, case, sizes.repeat))

        def fresh(src: Path = live, dst: Path = db) -> None:
            shutil.copy(src, dst)

        name = f"init, {n} tables ({n // 10} missing)"
        row = measure(
            "init",
            name,
            "dbinit",
            [
                DBINIT,
                "init",
                "--format",
                "json",
                "--log-format",
                "json",
                "--log-level",
                "info",
                "-d",
                str(db),
            ],
            case,
            sizes.repeat,
            setup=fresh,
        )
        last = row.__dict__.pop("_last", None)
        if last is not None:
            held = [
                json.loads(line).get("lock_held_ms")
                for line in last.stderr.splitlines()
                if "lock_held_ms" in line
            ]
            if held:
                row.extra["lock_held_ms"] = float(held[0])
        rows.append(row)
        rows.append(
            measure(
                "init",
                name,
                "stdlib floor",
                [PY, str(HERE / "floor.py"), "init", str(schemas), str(db)],
                case,
                sizes.repeat,
                setup=fresh,
            )
        )
        why = available("yoyo")
        if why:
            rows.append(skipped("init", name, "yoyo-migrations", why))
        else:
            migrations = case / "migrations"
            migrations.mkdir(exist_ok=True)
            missing = [
                sql
                for i, t in enumerate(gen.tables(n))
                if gen.is_missing(i)
                for sql in gen.create_sql(t)
            ]
            (migrations / "0001_missing.sql").write_text(";\n".join(missing) + ";\n")
            rows.append(
                measure(
                    "init",
                    name,
                    "yoyo-migrations",
                    [
                        str(BIN / "yoyo"),
                        "apply",
                        "--batch",
                        "--no-config-file",
                        "--database",
                        f"sqlite:///{db}",
                        str(migrations),
                    ],
                    case,
                    sizes.repeat,
                    setup=fresh,
                )
            )
        rows.append(
            peer(
                ("sqlalchemy",),
                "init",
                name,
                "SQLAlchemy create_all",
                [PY, str(HERE / "peers.py"), "create-all", str(n), str(db)],
                case,
                sizes.repeat,
                setup=fresh,
            )
        )
        rows.append(
            peer(
                (
                    "alembic",
                    "sqlalchemy",
                ),
                "init",
                name,
                "Alembic ops",
                [PY, str(HERE / "peers.py"), "alembic-init", str(n), str(db)],
                case,
                sizes.repeat,
                setup=fresh,
            )
        )
    return rows


HAND_WRITTEN = """PRAGMA foreign_keys = OFF;
BEGIN IMMEDIATE;
CREATE TABLE new_events (id INTEGER PRIMARY KEY, kind TEXT NOT NULL, amount REAL, note TEXT);
INSERT INTO new_events (id, kind, amount, note) SELECT id, kind, amount, note FROM events;
DROP TABLE events;
ALTER TABLE new_events RENAME TO events;
CREATE INDEX events_kind ON events (kind);
CREATE INDEX events_amount ON events (amount);
PRAGMA foreign_key_check;
COMMIT;
"""


def events_case(work: Path, rows: int) -> tuple[Path, Path, Path]:
    case = work / f"events{rows}"
    (case / "schemas").mkdir(parents=True)
    (case / "schemas" / "001_events.sql").write_text(
        ";\n".join([gen.EVENTS_DESIRED, *gen.EVENTS_INDEXES]) + ";\n"
    )
    src = gen.write_events(case / "events.src.db", rows)
    return case, src, case / "events.db"


def repair(work: Path, sizes: Sizes) -> list[Row]:
    out: list[Row] = []
    case, src, db = events_case(work, sizes.rows)

    def fresh() -> None:
        shutil.copy(src, db)

    name = f"repair, {sizes.rows:,} rows (type change, 2 indexes)"
    out.append(
        measure(
            "repair",
            name,
            "dbinit",
            [DBINIT, "repair", "--yes", "--no-backup", "-d", str(db)],
            case,
            sizes.repeat,
            setup=fresh,
        )
    )
    out.append(
        peer(
            ("sqlite3",),
            "repair",
            name,
            "sqlite3 shell, hand-written 12 steps",
            ["sqlite3", str(db)],
            case,
            sizes.repeat,
            setup=fresh,
            stdin=HAND_WRITTEN,
        )
    )
    out.append(
        measure(
            "repair",
            name,
            "sqlite-utils transform",
            [
                str(BIN / "sqlite-utils"),
                "transform",
                str(db),
                "events",
                "--type",
                "amount",
                "float",
            ],
            case,
            sizes.repeat,
            setup=fresh,
        )
    )
    out.append(
        peer(
            (
                "alembic",
                "sqlalchemy",
            ),
            "repair",
            name,
            "Alembic batch mode",
            [PY, str(HERE / "peers.py"), "alembic-batch", str(sizes.rows), str(db)],
            case,
            sizes.repeat,
            setup=fresh,
        )
    )
    for rows in sizes.memory_rows:
        mcase, msrc, mdb = events_case(work / "memory", rows)
        row = measure(
            "memory",
            f"repair peak memory, {rows:,} rows",
            "dbinit",
            [DBINIT, "repair", "--yes", "--no-backup", "-d", str(mdb)],
            mcase,
            1,
            setup=lambda s=msrc, d=mdb: shutil.copy(s, d),
        )
        out.append(row)
    return out


def validate(work: Path, sizes: Sizes) -> list[Row]:
    case = work / "big"
    (case / "schemas").mkdir(parents=True)
    (case / "schemas" / "001_events.sql").write_text(
        ";\n".join([gen.EVENTS, *gen.EVENTS_INDEXES]) + ";\n"
    )
    db = gen.write_big(case / "big.db", sizes.validate_mb)
    size_mb = db.stat().st_size / 1024 / 1024
    name = f"validate, {size_mb:,.0f} MB database"
    rows = [
        measure(
            "validate",
            name,
            "dbinit",
            [DBINIT, "validate", "--format", "json", "-d", str(db)],
            case,
            sizes.repeat,
        )
    ]
    rows.append(
        peer(
            ("sqlite3",),
            "validate",
            name,
            "PRAGMA quick_check (sqlite3 shell)",
            ["sqlite3", str(db), "PRAGMA quick_check;"],
            case,
            sizes.repeat,
        )
    )
    rows.append(
        measure(
            "validate",
            name,
            "dbinit --integrity off",
            [DBINIT, "validate", "--integrity", "off", "-d", str(db)],
            case,
            sizes.repeat,
        )
    )
    return rows


HOLD_LOCK = """import sqlite3, sys
conn = sqlite3.connect(sys.argv[1], isolation_level=None)
conn.execute("BEGIN IMMEDIATE")
print("locked", flush=True)
sys.stdin.read()
conn.execute("ROLLBACK")
"""
LOCK_TIMEOUT_S = 2


def inputs(work: Path, sizes: Sizes) -> list[Row]:
    """Large and hostile inputs, and the time limit against a held lock: what the
    tests check for correctness only (tests/test_hostile.py, test_reliability.py)."""
    big = sizes.rows >= 200_000  # quick and full; smoke only proves the harness
    n, kb, mb = (2500, 500, 5) if big else (25, 5, 0.05)
    rows: list[Row] = []
    cases = {
        f"{4 * n:,} statements ({n:,} tables, index, view, trigger each)": "".join(
            f"CREATE TABLE t{i} (id INTEGER PRIMARY KEY, v TEXT);\n"
            f"CREATE INDEX i{i} ON t{i} (v);\nCREATE VIEW v{i} AS SELECT v FROM t{i};\n"
            f"CREATE TRIGGER tr{i} AFTER INSERT ON t{i} BEGIN SELECT 1; END;\n"
            for i in range(n)
        ),
        f"{kb} kB table name, {kb} kB hex DEFAULT": (
            f'CREATE TABLE "{"n" * kb * 1000}" (id INTEGER PRIMARY KEY,'
            f" b BLOB DEFAULT X'{'ab' * kb * 500}');\n"
        ),
        f"{mb:g} MB of comments, one table": (
            ("-- " + "padding " * 12 + "\n") * int(mb * 1024 * 1024 / 100)
            + "CREATE TABLE t (id INTEGER PRIMARY KEY);\n"
        ),
    }
    for k, (name, sql) in enumerate(cases.items()):
        case = work / f"case{k}"
        (case / "schemas").mkdir(parents=True)
        (case / "schemas" / "x.sql").write_text(sql)
        db = case / "app.db"
        rows.append(
            measure(
                "inputs",
                f"init, {name}",
                "dbinit",
                [DBINIT, "init", "-d", str(db)],
                case,
                sizes.repeat,
                setup=lambda d=db: d.unlink(missing_ok=True),
            )
        )
        rows.append(
            measure(
                "inputs",
                f"check, {name}",
                "dbinit",
                [DBINIT, "check", "-d", str(db)],
                case,
                sizes.repeat,
            )
        )
    case = work / "locked"
    (case / "schemas").mkdir(parents=True)
    (case / "schemas" / "x.sql").write_text("CREATE TABLE t (id INTEGER PRIMARY KEY);\n")
    db = case / "app.db"
    sqlite3.connect(db).close()
    holder = subprocess.Popen(
        [PY, "-c", HOLD_LOCK, str(db)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
        cmd = [DBINIT, "init", "-d", str(db), "--timeout", str(LOCK_TIMEOUT_S)]
        name = f"init against a held write lock, --timeout {LOCK_TIMEOUT_S}"
        rows.append(measure("inputs", name, "dbinit", cmd, case, sizes.repeat, ok_codes=(75,)))
    finally:
        assert holder.stdin is not None
        holder.stdin.close()
        holder.wait()
    return rows


# --- goals and output ---------------------------------------------------------


def find(rows: list[Row], name_start: str, tool: str) -> Row | None:
    for row in rows:
        if row.name.startswith(name_start) and row.tool == tool and row.median_s is not None:
            return row
    return None


def ratio(a: Row | None, b: Row | None) -> float | None:
    if a is None or b is None or not b.median_s or a.median_s is None:
        return None
    return a.median_s / b.median_s


_TESTS = {
    "≤": lambda v, b: v <= b,
    "≥": lambda v, b: v >= b,
    ">": lambda v, b: v > b,
    "=": lambda v, b: v == b,
}


def goal(text: str, value: float | None, op: str, bound: float, note: str = "") -> Goal:
    """A goal `value op bound`; unknown (None) when a measurement is missing."""
    ok = None if value is None else bool(_TESTS[op](value, bound))
    limit = f"{op} {bound:g}" + (f" ({note})" if note else "")
    return Goal(text, None if value is None else round(value, 3), limit, ok)


def goals(rows: list[Row], sizes: Sizes) -> list[Goal]:
    big = max(sizes.tables)
    out = [
        goal(
            "dbinit check / bare import of the 5 libraries",
            ratio(find(rows, "dbinit check", "dbinit"), find(rows, "bare import", "python")),
            "≤",
            1.25,
        ),
    ]
    version = find(rows, "dbinit --version", "dbinit")
    out.append(
        goal(
            "heavy modules imported by dbinit --version",
            version.extra.get("heavy_imports") if version else None,
            "=",
            0,
        )
    )
    check_db = find(rows, f"check, {big} tables", "dbinit")
    out.append(
        goal(
            f"check at {big} tables / stdlib floor",
            ratio(check_db, find(rows, f"check, {big} tables", "stdlib floor")),
            "≤",
            1.5,
        )
    )
    unchanged = f"check, {big} tables, files unchanged"
    out.append(
        goal(
            f"check at {big} tables, files unchanged / stdlib floor",
            ratio(find(rows, unchanged, "dbinit"), find(rows, unchanged, "stdlib floor")),
            "≤",
            1.5,
        )
    )
    out.append(
        goal(
            f"Alembic / dbinit check at {big} tables",
            ratio(find(rows, f"check, {big} tables", "Alembic compare_metadata"), check_db),
            "≥",
            5,
        )
    )
    out.append(
        goal(
            f"sqldiff / dbinit check at {big} tables",
            ratio(find(rows, f"check, {big} tables", "sqldiff --schema"), check_db),
            ">",
            1,
        )
    )
    for n in sizes.tables:
        init_db = find(rows, f"init, {n} tables", "dbinit")
        out.append(
            goal(
                f"init at {n} tables / stdlib floor",
                ratio(init_db, find(rows, f"init, {n} tables", "stdlib floor")),
                "≤",
                1.5,
            )
        )
        peers = [
            find(rows, f"init, {n} tables", t)
            for t in ("yoyo-migrations", "SQLAlchemy create_all", "Alembic ops")
        ]
        fastest = min(
            (p for p in peers if p is not None), key=lambda p: p.median_s or 0, default=None
        )
        out.append(
            goal(
                f"fastest peer / dbinit init at {n} tables",
                ratio(fastest, init_db),
                ">",
                1,
            )
        )
    init_big = find(rows, f"init, {big} tables", "dbinit")
    out.append(
        goal(
            f"write-lock hold of init, {big // 10} missing tables (ms)",
            init_big.extra.get("lock_held_ms") if init_big else None,
            "≤",
            50,
        )
    )
    rep = find(rows, "repair,", "dbinit")
    out.append(
        goal(
            "dbinit repair / sqlite-utils transform",
            ratio(rep, find(rows, "repair,", "sqlite-utils transform")),
            "≤",
            1,
        )
    )
    mem = [r for r in rows if r.group == "memory" and r.peak_rss_mb]
    if mem:
        out.append(
            goal(
                "repair peak memory, largest table (MB)",
                mem[-1].peak_rss_mb,
                "≤",
                100,
            )
        )
        out.append(
            goal(
                "repair peak memory, largest / smallest table",
                (mem[-1].peak_rss_mb or 0) / (mem[0].peak_rss_mb or 1),
                "≤",
                1.2,
                "flat",
            )
        )
    locked = find(rows, "init against a held write lock", "dbinit")
    out.append(
        goal(
            f"exit 75 against a held lock, --timeout {LOCK_TIMEOUT_S} (s)",
            locked.median_s if locked else None,
            "≤",
            LOCK_TIMEOUT_S + 1,
            "the time limit + 1 s",
        )
    )
    out.append(
        goal(
            "dbinit validate / PRAGMA quick_check",
            ratio(
                find(rows, "validate", "dbinit"),
                find(rows, "validate", "PRAGMA quick_check (sqlite3 shell)"),
            ),
            "≤",
            1.1,
        )
    )
    return out


def fmt(row: Row) -> str:
    if row.median_s is None:
        return row.note
    text = f"{row.median_s:8.3f} s  ({row.min_s:.3f}–{row.max_s:.3f})"
    if row.peak_rss_mb is not None:
        text += f"  {row.peak_rss_mb:6.1f} MB"
    if "lock_held_ms" in row.extra:
        text += f"  lock held {row.extra['lock_held_ms']:.1f} ms"
    if row.note:
        text += f"  {row.note}"
    return text


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--quick", action="store_true")
    mode.add_argument("--smoke", action="store_true")
    parser.add_argument("--out", type=Path, default=HERE / "results" / "latest.json")
    parser.add_argument(
        "--only", choices=["startup", "check", "repair", "validate", "inputs"], action="append"
    )
    args = parser.parse_args()
    name = "smoke" if args.smoke else "quick" if args.quick else "full"
    sizes = MODES[name]
    subprocess.run([PY, "-m", "compileall", "-q", str(REPO / "dbinit")], check=False)
    rows: list[Row] = []
    steps = {
        "startup": startup,
        "check": check_and_init,
        "repair": repair,
        "validate": validate,
        "inputs": inputs,
    }
    with tempfile.TemporaryDirectory(prefix="dbinit-bench-") as tmp:
        for step, fn in steps.items():
            if args.only and step not in args.only:
                continue
            work = Path(tmp) / step
            work.mkdir()
            print(f"… {step}", file=sys.stderr, flush=True)
            rows.extend(fn(work, sizes))
    for row in rows:
        row.__dict__.pop("_last", None)
        row.extra.pop("_stderr", None)
    results = goals(rows, sizes)
    group = None
    print(
        f"\ndbinit benchmarks ({name} mode) on {platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}, SQLite {sqlite3.sqlite_version}"
    )
    for row in rows:
        if row.group != group:
            group = row.group
            print(f"\n{group}")
        print(f"  {row.name:44.44s} {row.tool:38.38s} {fmt(row)}")
    print("\ngoals (ratios within this run)")
    for g in results:
        mark = {True: "ok  ", False: "MISS", None: "n/a "}[g.ok]
        value = "—" if g.value is None else f"{g.value:.3f}"
        print(f"  {mark} {g.text:55.55s} {value:>9s}  goal {g.limit}")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    doc = {
        "mode": name,
        "machine": {
            "platform": platform.platform(),
            "machine": platform.machine(),
            "cores": os.cpu_count(),
            "python": platform.python_version(),
            "sqlite": sqlite3.sqlite_version,
        },
        "rows": [asdict(r) for r in rows],
        "goals": [asdict(g) for g in results],
    }
    args.out.write_text(json.dumps(doc, indent=2) + "\n")
    print(f"\nsaved {args.out}")
    failed = [r for r in rows if r.note.startswith("failed")]
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
