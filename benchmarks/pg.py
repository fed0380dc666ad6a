"""dbinit on PostgreSQL, next to the tools users would pick instead.

    python benchmarks/pg.py                 # full run (about 15-20 minutes)
    python benchmarks/pg.py --quick         # fewer repeats, smaller load table
    python benchmarks/pg.py --smoke         # seconds; proves the harness works (CI)
    python benchmarks/pg.py --out FILE.json # default benchmarks/results-pg-<date>.json

Needs a PostgreSQL server where the URL's role may create databases:
DBINIT_BENCH_PG_URL, default postgresql://postgres@127.0.0.1:5432/postgres.
Every database this creates is named dbinit_bench_<pid>_… and dropped at the
end. Groups:

* roundtrips: the statements `dbinit check` sends, counted at the driver
  (pg_count.py), on the target and in the scratch database, at 10, 100 and
  1,000 tables (10 columns, 2 indexes, 1 foreign key each);
* check / init at 100 and 1,000 tables, the live database missing 10 % of the
  tables, whole processes: dbinit, migra against a reference database built
  from the files, Alembic autogenerate with the models in Python, and the
  floor: `psql -1 -f` of the files into a fresh database;
* stall: an app inserting in a loop while `dbinit init` adds an index and a
  CHECK constraint to its table; the app's longest insert, next to the same
  change applied as plain `CREATE INDEX` + `ADD CONSTRAINT` by psql.

Peers that are not installed (migra, Alembic, psql) are reported as skipped.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import gen  # noqa: E402
import run  # noqa: E402
from run import BIN, DBINIT, PY, Goal, Row, goal, measure, ratio, skipped  # noqa: E402

DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
LOCK_TIMEOUT_S = 5  # dbinit's default lock_timeout


@dataclass
class Sizes:
    repeat: int
    roundtrips: tuple[int, ...]
    compare: tuple[int, ...]
    stall_rows: int
    stall_repeat: int
    scratch: tuple[int, ...]  # the scratch build with changed files (linear, lock table)


MODES = {
    "full": Sizes(5, (10, 100, 1000), (100, 1000), 1_000_000, 3, (1000, 2500, 5000)),
    "quick": Sizes(3, (10, 100, 1000), (100, 1000), 200_000, 2, (1000, 5000)),
    "smoke": Sizes(1, (5, 20), (10,), 5_000, 1, (20,)),
}


class Server:
    """The server's maintenance URL, and the databases this run creates."""

    def __init__(self, url: str) -> None:
        import psycopg

        self.url = url
        self.prefix = f"dbinit_bench_{os.getpid()}_"
        self.admin = psycopg.connect(url, autocommit=True)
        self.version = str(self.admin.execute("SHOW server_version").fetchone()[0])  # type: ignore[index]

    def db_url(self, name: str) -> str:
        """A postgresql:// URL for database `name` (dbinit, psql, psycopg)."""
        return self.uri(name)

    def uri(self, name: str, scheme: str = "postgresql") -> str:
        """The URL with another scheme (SQLAlchemy's postgresql+psycopg2 for the peers)."""
        from psycopg.conninfo import conninfo_to_dict

        p = conninfo_to_dict(self.url)
        host = p.get("host", "127.0.0.1")
        port = p.get("port", "5432")
        auth = p.get("user", "postgres")
        if p.get("password"):
            auth += f":{p['password']}"
        return f"{scheme}://{auth}@{host}:{port}/{self.prefix}{name}"

    def create(self, name: str, template: str | None = None) -> None:
        from psycopg import sql

        self.drop(name)
        query = sql.SQL("CREATE DATABASE {}").format(sql.Identifier(self.prefix + name))
        if template:
            query += sql.SQL(" TEMPLATE {}").format(sql.Identifier(self.prefix + template))
        self.admin.execute(query)

    def drop(self, name: str) -> None:
        from psycopg import sql

        self.admin.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
                sql.Identifier(self.prefix + name)
            )
        )

    def drop_all(self) -> None:
        from psycopg import sql

        rows = self.admin.execute(
            "SELECT datname FROM pg_database WHERE datname LIKE %s", (self.prefix + "%",)
        ).fetchall()
        for (name,) in rows:
            self.admin.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )
        self.admin.close()


def psql(*args: str) -> list[str]:
    return ["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", *args]


def have(module: str) -> bool:
    try:
        __import__(module)
    except ImportError:
        return False
    return True


MIGRA = str(BIN / "migra")
MISSING_MIGRA = "migra (pip install -e '.[bench]')"
MISSING_ALEMBIC = "alembic (pip install -e '.[bench]')"
MISSING_PSQL = "psql (apt-get install postgresql-client)"


# --- the measurements ---------------------------------------------------------


def build(server: Server, case: Path, n: int) -> list[Path]:
    """Schema files for `n` tables, and a template database `src<n>` holding
    the live schema (every table but each 10th)."""
    files = gen.write_pg_schema(case / "schemas", n)
    live_sql = gen.write_pg_live(case / "live.sql", n)
    server.create(f"src{n}")
    subprocess.run(psql("-1", "-d", server.db_url(f"src{n}"), "-f", str(live_sql)), check=True)
    return files


def startup(server: Server, work: Path, sizes: Sizes) -> list[Row]:
    r = max(3, sizes.repeat * 2)
    return [
        measure(
            "startup",
            "bare import of the runtime libraries + psycopg",
            "python",
            [PY, "-c", "import typer, rich, sqlite_utils, pydantic_settings, structlog, psycopg"],
            work,
            r,
        ),
        measure("startup", "dbinit --version", "dbinit", [DBINIT, "--version"], work, r),
    ]


def roundtrips(server: Server, work: Path, sizes: Sizes) -> list[Row]:
    rows = []
    for n in sizes.roundtrips:
        case = work / f"t{n}"
        build(server, case, n)
        server.create(f"live{n}", template=f"src{n}")
        out = case / "counts.json"
        cmd = [PY, str(HERE / "pg_count.py"), str(out), "check", "-d", server.db_url(f"live{n}")]
        row = measure("roundtrips", f"check, {n} tables", "dbinit", cmd, case, 1, ok_codes=(0, 1))
        row.__dict__.pop("_last", None)
        row.extra.pop("_stderr", None)
        if row.median_s is not None:
            counts = json.loads(out.read_text())
            counts.pop("exit_code", None)
            row.extra.update({k: float(v) for k, v in counts.items()})
            intro = counts.get("target.statements", 0)
            mgmt = counts.get("target.scratch_management", 0)
            scratch = counts.get("scratch.statements", 0)
            files = counts.get("scratch.file_statements", 0)
            per = counts.get("scratch.per_statement_timeout", 0)
            row.note = (
                f"target: {intro} introspection + {mgmt} scratch db; scratch: "
                f"{scratch} setup + introspection, {files} file statements + {per} SET LOCAL"
            )
        server.drop(f"live{n}")
        server.drop(f"src{n}")
        rows.append(row)
    return rows


def check_and_init(server: Server, work: Path, sizes: Sizes) -> list[Row]:
    rows: list[Row] = []
    has_psql = shutil.which("psql") is not None
    for n in sizes.compare:
        case = work / f"t{n}"
        files = build(server, case, n)
        f_args = [a for f in files for a in ("-f", str(f))]
        live = server.db_url(f"live{n}")
        live_uri = server.uri(f"live{n}", "postgresql+psycopg2")
        ref = server.db_url(f"ref{n}")
        ref_uri = server.uri(f"ref{n}", "postgresql+psycopg2")
        maint = server.url
        quoted = " ".join(f"'{a}'" for a in f_args)
        make_ref = (
            f"psql -X -q -v ON_ERROR_STOP=1 -d '{maint}' -c 'CREATE DATABASE {server.prefix}ref{n}'"
            f" && psql -X -q -v ON_ERROR_STOP=1 -1 -d '{ref}' {quoted}"
        )
        drop_ref = f"psql -X -q -d '{maint}' -c 'DROP DATABASE IF EXISTS {server.prefix}ref{n}'"
        server.create(f"live{n}", template=f"src{n}")

        def fresh(n: int = n) -> None:
            server.create(f"live{n}", template=f"src{n}")

        name = f"check, {n} tables"
        rows.append(
            measure(
                "check",
                name,
                "dbinit",
                [DBINIT, "check", "--format", "json", "-d", live],
                case,
                sizes.repeat,
                ok_codes=(1,),
            )
        )
        if have("migra") and has_psql:
            script = (
                f"{make_ref} && {{ '{MIGRA}' --unsafe '{live_uri}' '{ref_uri}' > diff.sql;"
                f" rc=$?; }}; {drop_ref}; exit $rc"
            )
            rows.append(
                measure(
                    "check",
                    name,
                    "migra (reference db from the files)",
                    ["sh", "-c", script],
                    case,
                    sizes.repeat,
                    ok_codes=(2,),
                )
            )
        else:
            rows.append(
                skipped("check", name, "migra", MISSING_MIGRA if has_psql else MISSING_PSQL)
            )
        if have("alembic"):
            cmd = [PY, str(HERE / "pg_peers.py"), "alembic-check", str(n), live_uri]
            rows.append(
                measure(
                    "check",
                    name,
                    "Alembic compare_metadata",
                    cmd,
                    case,
                    sizes.repeat,
                    ok_codes=(1,),
                )
            )
        else:
            rows.append(skipped("check", name, "Alembic compare_metadata", MISSING_ALEMBIC))
        if has_psql:
            script = f"{make_ref}; rc=$?; {drop_ref}; exit $rc"
            rows.append(
                measure(
                    "check",
                    name,
                    "floor: psql -1 -f into a fresh db",
                    ["sh", "-c", script],
                    case,
                    sizes.repeat,
                )
            )
        else:
            rows.append(skipped("check", name, "floor: psql -1 -f", MISSING_PSQL))

        name = f"init, {n} tables ({n // 10} missing)"
        rows.append(
            measure(
                "init",
                name,
                "dbinit",
                [DBINIT, "init", "--format", "json", "-d", live],
                case,
                sizes.repeat,
                setup=fresh,
            )
        )
        if have("migra") and has_psql:
            script = (
                f"{make_ref} && {{ '{MIGRA}' --unsafe '{live_uri}' '{ref_uri}' > diff.sql;"
                f" [ $? = 2 ] && psql -X -q -v ON_ERROR_STOP=1 -1 -d '{live}' -f diff.sql;"
                f" rc=$?; }}; {drop_ref}; exit $rc"
            )
            rows.append(
                converged(
                    measure(
                        "init",
                        name,
                        "migra | psql (reference db from the files)",
                        ["sh", "-c", script],
                        case,
                        sizes.repeat,
                        setup=fresh,
                    ),
                    live,
                    case,
                )
            )
        else:
            why = MISSING_MIGRA if has_psql else MISSING_PSQL
            rows.append(skipped("init", name, "migra", why))
        if have("alembic"):
            cmd = [PY, str(HERE / "pg_peers.py"), "alembic-init", str(n), live_uri]
            rows.append(
                converged(
                    measure(
                        "init",
                        name,
                        "Alembic autogenerate + ops",
                        cmd,
                        case,
                        sizes.repeat,
                        setup=fresh,
                    ),
                    live,
                    case,
                )
            )
        else:
            rows.append(skipped("init", name, "Alembic autogenerate + ops", MISSING_ALEMBIC))
        for db in (f"live{n}", f"ref{n}", f"src{n}"):
            server.drop(db)
    return rows


INTROSPECT_ONLY = (
    "import sys, psycopg\n"
    "from dbinit.postgres.introspect import introspect\n"
    "with psycopg.connect(sys.argv[1], autocommit=True) as conn:\n"
    "    introspect(conn, 'public')\n"
)


def remembered(server: Server, work: Path, sizes: Sizes) -> list[Row]:
    """`check` with unchanged files (the desired model remembered by `init`),
    next to the catalog-read floor and the peers; then `check` with changed
    files (the scratch build) up to 5,000 tables next to psql."""
    rows: list[Row] = []
    has_psql = shutil.which("psql") is not None
    for n in sizes.compare:
        case = work / f"m{n}"
        files = gen.write_pg_schema(case / "schemas", n)
        server.create(f"mem{n}")
        db = server.db_url(f"mem{n}")
        uri = server.uri(f"mem{n}", "postgresql+psycopg2")
        done = run.once([DBINIT, "init", "-d", db], case)
        if done.code != 0:
            rows.append(Row("remembered", f"check, {n} tables", "dbinit", note="init failed"))
            continue
        name = f"check, {n} tables, files unchanged"
        rows.append(
            measure("remembered", name, "dbinit", [DBINIT, "check", "-d", db], case, sizes.repeat)
        )
        rows.append(
            measure(
                "remembered",
                name,
                "introspection alone (psycopg + dbinit's catalog queries)",
                [PY, "-c", INTROSPECT_ONLY, db],
                case,
                sizes.repeat,
            )
        )
        if shutil.which("pg_dump"):
            rows.append(
                measure(
                    "remembered",
                    name,
                    "pg_dump --schema-only",
                    ["pg_dump", "--schema-only", "-f", "/dev/null", "-d", db],
                    case,
                    sizes.repeat,
                )
            )
        if have("alembic"):
            cmd = [PY, str(HERE / "pg_peers.py"), "alembic-check", str(n), uri]
            rows.append(
                measure(
                    "remembered",
                    name,
                    "Alembic compare_metadata",
                    cmd,
                    case,
                    sizes.repeat,
                    ok_codes=(0, 1),
                )
            )
        if have("migra") and has_psql:
            ref = server.db_url(f"memref{n}")
            ref_uri = server.uri(f"memref{n}", "postgresql+psycopg2")
            quoted = " ".join(f"'{a}'" for f in files for a in ("-f", str(f)))
            script = (
                f"psql -X -q -d '{server.url}' -c 'CREATE DATABASE {server.prefix}memref{n}'"
                f" && psql -X -q -v ON_ERROR_STOP=1 -1 -d '{ref}' {quoted}"
                f" && {{ '{MIGRA}' --unsafe '{uri}' '{ref_uri}' > diff.sql; rc=$?; }};"
                f" psql -X -q -d '{server.url}' -c"
                f" 'DROP DATABASE IF EXISTS {server.prefix}memref{n}'; exit $rc"
            )
            rows.append(
                measure(
                    "remembered",
                    name,
                    "migra (reference db from the files)",
                    ["sh", "-c", script],
                    case,
                    sizes.repeat,
                    ok_codes=(0, 2),
                )
            )
        server.drop(f"mem{n}")
    for n in sizes.scratch:
        case = work / f"s{n}"
        files = gen.write_pg_schema(case / "schemas", n)
        server.create(f"scr{n}")
        db = server.db_url(f"scr{n}")
        name = f"check, {n} tables, files changed (scratch build)"
        rows.append(
            measure(
                "scratch",
                name,
                "dbinit",
                [DBINIT, "check", "-d", db],
                case,
                max(1, sizes.repeat // 2),
                ok_codes=(1,),
            )
        )
        if has_psql:
            f_args = [a for f in files for a in ("-f", str(f))]
            for label, one in (("psql -1 -f (one transaction)", ["-1"]), ("psql -f", [])):

                def fresh(n: int = n) -> None:
                    server.create(f"psql{n}")

                rows.append(
                    measure(
                        "scratch",
                        name,
                        label,
                        psql(*one, "-d", server.db_url(f"psql{n}"), *f_args),
                        case,
                        max(1, sizes.repeat // 2),
                        setup=fresh,
                    )
                )
                server.drop(f"psql{n}")
        server.drop(f"scr{n}")
    return rows


def converged(row: Row, live: str, case: Path) -> Row:
    """Note whether a peer's init left the database as dbinit would (in sync)."""
    if row.median_s is not None:
        code = run.once([DBINIT, "check", "-d", live], case).code
        row.note = (
            "result in sync" if code == 0 else f"result NOT in sync (dbinit check exit {code})"
        )
    return row


# --- the app under load -------------------------------------------------------

STALL_TABLE = (
    "CREATE TABLE events (\n"
    "    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,\n"
    "    kind text NOT NULL,\n"
    "    amount integer NOT NULL{check},\n"
    "    note text\n"
    ");\n"
)
STALL_CHECK = " CONSTRAINT events_amount_nonneg CHECK (amount >= 0)"
STALL_INDEX = "CREATE INDEX events_kind ON events (kind);\n"
NAIVE = (
    "CREATE INDEX events_kind ON events (kind);\n"
    "ALTER TABLE events ADD CONSTRAINT events_amount_nonneg CHECK (amount >= 0);\n"
)


class App(threading.Thread):
    """Inserts one row at a time, autocommit, and records each insert's latency."""

    def __init__(self, url: str) -> None:
        super().__init__(daemon=True)
        self.url = url
        self.stop = threading.Event()
        self.samples: list[tuple[float, float]] = []  # (start, seconds)
        self.failed = 0
        self.ok = 0

    def run(self) -> None:
        import psycopg

        with psycopg.connect(self.url, autocommit=True) as conn:
            i = 0
            while not self.stop.is_set():
                i += 1
                t0 = time.perf_counter()
                try:
                    conn.execute(
                        "INSERT INTO events (kind, amount, note) VALUES (%s, %s, %s)",
                        (f"kind-{i % 50}", i % 1000, "from the app"),
                    )
                    self.ok += 1
                except psycopg.Error:
                    self.failed += 1
                self.samples.append((t0, time.perf_counter() - t0))


def under_load(server: Server, case: Path, cmd: list[str]) -> dict[str, float]:
    """Run `cmd` while the app inserts; the app's stalls during and before it."""
    import psycopg

    server.create("stall", template="stallsrc")
    url = server.db_url("stall")
    with psycopg.connect(url) as conn:
        before = conn.execute("SELECT count(*) FROM events").fetchone()[0]  # type: ignore[index]
    app = App(url)
    app.start()
    time.sleep(1.0)  # the baseline: the app alone
    start = time.perf_counter()
    result = run.once(cmd, case)
    end = time.perf_counter()
    time.sleep(0.5)
    app.stop.set()
    app.join()
    if result.code != 0:
        tail = (result.stderr.strip().splitlines() or ["?"])[-1][:200]
        raise RuntimeError(f"{cmd[0]} failed under load (exit {result.code}): {tail}")
    with psycopg.connect(url) as conn:
        after = conn.execute("SELECT count(*) FROM events").fetchone()[0]  # type: ignore[index]
    during = [s for t, s in app.samples if t + s >= start and t <= end]
    baseline = [s for t, s in app.samples if t + s < start]
    server.drop("stall")
    return {
        "seconds": end - start,
        "longest_stall_ms": 1000 * max(during, default=0.0),
        "baseline_longest_ms": 1000 * max(baseline, default=0.0),
        "baseline_median_ms": 1000 * statistics.median(baseline) if baseline else 0.0,
        "inserts_during": float(len(during)),
        "failed_inserts": float(app.failed),
        "lost_writes": float(app.ok - (after - before)),
    }


def stall(server: Server, work: Path, sizes: Sizes) -> list[Row]:
    case = work / "stall"
    (case / "schemas").mkdir(parents=True)
    (case / "schemas" / "001_events.sql").write_text(
        STALL_TABLE.format(check=STALL_CHECK) + STALL_INDEX
    )
    server.create("stallsrc")
    seed = STALL_TABLE.format(check="") + (
        "INSERT INTO events (kind, amount, note) SELECT 'kind-' || (i % 50), i % 1000,"
        f" 'note ' || i FROM generate_series(1, {sizes.stall_rows}) i;\nVACUUM ANALYZE events;\n"
    )
    subprocess.run(
        psql("-d", server.db_url("stallsrc"), "-f", "-"), input=seed, text=True, check=True
    )
    name = f"init under load, {sizes.stall_rows:,} rows (index + CHECK)"
    tools = {
        "dbinit": [DBINIT, "init", "-d", server.db_url("stall")],
        "psql: plain CREATE INDEX + ADD CONSTRAINT": psql(
            "-1", "-d", server.db_url("stall"), "-c", NAIVE
        ),
    }
    rows = []
    for tool, cmd in tools.items():
        if cmd[0] == "psql" and shutil.which("psql") is None:
            rows.append(skipped("stall", name, tool, MISSING_PSQL))
            continue
        runs = [under_load(server, case, cmd) for _ in range(sizes.stall_repeat)]
        times = [r["seconds"] for r in runs]
        row = Row(
            "stall",
            name,
            tool,
            statistics.median(times),
            min(times),
            max(times),
            len(runs),
        )
        worst = max(runs, key=lambda r: r["longest_stall_ms"])
        row.extra = {k: round(v, 1) for k, v in worst.items() if k != "seconds"}
        row.extra["failed_inserts"] = float(sum(r["failed_inserts"] for r in runs))
        row.extra["lost_writes"] = float(sum(r["lost_writes"] for r in runs))
        row.note = (
            f"app's longest insert {worst['longest_stall_ms']:.0f} ms "
            f"(alone: {worst['baseline_longest_ms']:.0f} ms), "
            f"{int(row.extra['failed_inserts'])} failed, {int(row.extra['lost_writes'])} lost"
        )
        rows.append(row)
    server.drop("stallsrc")
    return rows


# --- goals and output ---------------------------------------------------------


def find(rows: list[Row], group: str, name_start: str, tool_start: str) -> Row | None:
    for row in rows:
        if (
            row.group == group
            and row.name.startswith(name_start)
            and row.tool.startswith(tool_start)
            and row.median_s is not None
        ):
            return row
    return None


def goals(rows: list[Row], sizes: Sizes) -> list[Goal]:
    out = []
    trips = [r for r in rows if r.group == "roundtrips" and r.median_s is not None]
    if trips:
        small, big = trips[0], trips[-1]
        for key, label in (
            ("target.statements", "introspection statements on the target"),
            ("scratch.statements", "setup + introspection statements in the scratch db"),
        ):
            out.append(
                goal(
                    f"{label}, {big.name[7:]} − {small.name[7:]}",
                    big.extra.get(key, 0) - small.extra.get(key, 0),
                    "=",
                    0,
                    "fixed, whatever the size",
                )
            )
    boot = find(rows, "startup", "bare import", "python")
    for n in sizes.compare:
        for group in ("check", "init"):
            mine = find(rows, group, f"{group}, {n} tables", "dbinit")
            for peer in ("migra", "Alembic"):
                out.append(
                    goal(
                        f"{peer} / dbinit {group} at {n} tables",
                        ratio(find(rows, group, f"{group}, {n} tables", peer), mine),
                        ">",
                        1,
                    )
                )
            floor = find(rows, "check", f"check, {n} tables", "floor")
            bound = None
            if floor and boot and mine and floor.median_s and boot.median_s and mine.median_s:
                bound = mine.median_s / (2 * floor.median_s + boot.median_s)
            out.append(
                goal(
                    f"dbinit {group} at {n} tables / (2 × floor + start-up)",
                    bound,
                    "≤",
                    1,
                )
            )
    for n in sizes.compare:
        name = f"check, {n} tables, files unchanged"
        mine = find(rows, "remembered", name, "dbinit")
        for peer in ("migra", "Alembic"):
            out.append(
                goal(
                    f"{peer} / dbinit check at {n} tables (unchanged files)",
                    ratio(find(rows, "remembered", name, peer), mine),
                    ">",
                    1,
                )
            )
        for floor in ("pg_dump", "introspection alone"):
            out.append(
                goal(
                    f"dbinit check / {floor} at {n} tables (unchanged files)",
                    ratio(mine, find(rows, "remembered", name, floor)),
                    "≤",
                    1.5,
                )
            )
    builds = [
        (n, find(rows, "scratch", f"check, {n} tables, files changed", "dbinit"))
        for n in sizes.scratch
    ]
    done = [(n, r.median_s) for n, r in builds if r is not None and r.median_s]
    if len(done) >= 2:
        (n0, t0), (n1, t1) = done[0], done[-1]
        out.append(
            goal(
                f"scratch build: time per table at {n1} / at {n0} tables",
                (t1 / n1) / (t0 / n0),
                "≤",
                1.25,
                "linear",
            )
        )
    mine = find(rows, "stall", "init under load", "dbinit")
    out.append(
        goal(
            "app's longest insert during dbinit init (ms)",
            mine.extra.get("longest_stall_ms") if mine else None,
            "≤",
            LOCK_TIMEOUT_S * 1000,
            "lock_timeout",
        )
    )
    out.append(
        goal(
            "app writes failed or lost during dbinit init",
            (mine.extra.get("failed_inserts", 0) + mine.extra.get("lost_writes", 0))
            if mine
            else None,
            "=",
            0,
        )
    )
    return out


def fmt(row: Row) -> str:
    if row.group == "roundtrips" and row.median_s is not None:
        return row.note
    return run.fmt(row)


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--quick", action="store_true")
    mode.add_argument("--smoke", action="store_true")
    today = datetime.date.today().isoformat()
    parser.add_argument("--out", type=Path, default=HERE / f"results-pg-{today}.json")
    parser.add_argument(
        "--only",
        choices=["startup", "roundtrips", "check", "remembered", "stall"],
        action="append",
    )
    args = parser.parse_args()
    name = "smoke" if args.smoke else "quick" if args.quick else "full"
    sizes = MODES[name]
    url = os.environ.get("DBINIT_BENCH_PG_URL") or DEFAULT_URL
    try:
        server = Server(url)
    except Exception as exc:
        print(f"no PostgreSQL server at {url}: {exc}", file=sys.stderr)
        return 2
    subprocess.run([PY, "-m", "compileall", "-q", str(HERE.parent / "dbinit")], check=False)
    rows: list[Row] = []
    steps = {
        "startup": startup,
        "roundtrips": roundtrips,
        "check": check_and_init,
        "remembered": remembered,
        "stall": stall,
    }
    try:
        with tempfile.TemporaryDirectory(prefix="dbinit-pgbench-") as tmp:
            for step, fn in steps.items():
                if args.only and step not in args.only:
                    continue
                work = Path(tmp) / step
                work.mkdir()
                print(f"… {step}", file=sys.stderr, flush=True)
                rows.extend(fn(server, work, sizes))
    finally:
        server.drop_all()
    for row in rows:
        row.__dict__.pop("_last", None)
        row.extra.pop("_stderr", None)
    results = goals(rows, sizes)
    import psycopg

    print(
        f"\ndbinit PostgreSQL benchmarks ({name} mode) on {platform.machine()}, "
        f"{os.cpu_count()} cores, Python {platform.python_version()}, "
        f"PostgreSQL {server.version}, psycopg {psycopg.__version__}"
    )
    group = None
    for row in rows:
        if row.group != group:
            group = row.group
            print(f"\n{group}")
        print(f"  {row.name:40.40s} {row.tool:42.42s} {fmt(row)}")
    print("\ngoals (ratios within this run)")
    for g in results:
        mark = {True: "ok  ", False: "MISS", None: "n/a "}[g.ok]
        value = "—" if g.value is None else f"{g.value:.3f}"
        print(f"  {mark} {g.text:60.60s} {value:>9s}  goal {g.limit}")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    doc: dict[str, Any] = {
        "mode": name,
        "machine": {
            "platform": platform.platform(),
            "machine": platform.machine(),
            "cores": os.cpu_count(),
            "python": platform.python_version(),
            "postgresql": server.version,
            "psycopg": psycopg.__version__,
        },
        "database_prefix": server.prefix,
        "rows": [asdict(r) for r in rows],
        "goals": [asdict(g) for g in results],
    }
    args.out.write_text(json.dumps(doc, indent=2) + "\n")
    print(f"\nsaved {args.out}")
    failed = [r for r in rows if r.note.startswith("failed")]
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
