"""`GET /health/db` with `cache_seconds=0`: every request runs a read-only `check`.

    python benchmarks/health.py                  # 1,000 requests per engine, 100 tables
    python benchmarks/health.py --requests 50    # quicker
    python benchmarks/health.py --out FILE.json  # default benchmarks/results-health-<date>.json

For each engine (SQLite; PostgreSQL when DBINIT_BENCH_PG_URL or the default
postgresql://postgres@127.0.0.1:5432/postgres answers) the schema of 100 tables
(benchmarks/gen.py) is applied with `dbinit init`, so the database remembers the
desired model; then a real uvicorn server with `health_router(cache_seconds=0)` is
asked `GET /health/db` one request after another, and the latency of each answer
is recorded: min, median, p95, max. Every answer must be 200.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import gen  # noqa: E402

PY = sys.executable
DBINIT = str(Path(PY).parent / "dbinit")
DEFAULT_PG = "postgresql://postgres@127.0.0.1:5432/postgres"
APP = (
    "from fastapi import FastAPI\n"
    "from dbinit.fastapi import health_router\n"
    "app = FastAPI()\n"
    "app.include_router(health_router(cache_seconds=0))\n"
)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def measure(folder: Path, env: dict[str, str], requests: int) -> dict[str, Any]:
    import httpx

    (folder / "app.py").write_text(APP)
    port = free_port()
    server = subprocess.Popen(
        [PY, "-m", "uvicorn", "app:app", "--port", str(port), "--log-level", "warning"],
        cwd=folder,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        url = f"http://127.0.0.1:{port}/health/db"
        with httpx.Client(timeout=60) as client:
            give_up = time.monotonic() + 60
            while True:
                try:
                    first = client.get(url)
                    break
                except httpx.TransportError:
                    if time.monotonic() > give_up:
                        raise
                    time.sleep(0.1)
            if first.status_code != 200:
                raise RuntimeError(f"/health/db answered {first.status_code}: {first.text}")
            times: list[float] = []
            for _ in range(requests):
                t0 = time.perf_counter()
                answer = client.get(url)
                times.append(time.perf_counter() - t0)
                if answer.status_code != 200:
                    raise RuntimeError(f"/health/db answered {answer.status_code}: {answer.text}")
    finally:
        server.terminate()
        server.wait(timeout=30)
    times.sort()
    return {
        "requests": requests,
        "min_ms": round(1000 * times[0], 2),
        "median_ms": round(1000 * statistics.median(times), 2),
        "p95_ms": round(1000 * times[int(0.95 * (len(times) - 1))], 2),
        "max_ms": round(1000 * times[-1], 2),
    }


def sqlite_case(work: Path, tables: int, requests: int) -> dict[str, Any]:
    folder = work / "sqlite"
    gen.write_schema(folder / "schemas", tables)
    env = {**os.environ, "DBINIT_DATABASE_URL": "sqlite:///app.db", "DBINIT_LOG_LEVEL": "error"}
    subprocess.run([DBINIT, "init", "-q"], cwd=folder, env=env, check=True)
    return {"engine": "sqlite", "tables": tables, **measure(folder, env, requests)}


def postgres_case(work: Path, tables: int, requests: int) -> dict[str, Any] | None:
    try:
        import psycopg
        from psycopg import sql
    except ImportError:
        return None
    admin_url = os.environ.get("DBINIT_BENCH_PG_URL") or DEFAULT_PG
    try:
        admin = psycopg.connect(admin_url, autocommit=True)
    except psycopg.Error:
        return None
    name = f"dbinit_bench_health_{os.getpid()}"
    admin.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(name)))
    admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        folder = work / "postgres"
        gen.write_pg_schema(folder / "schemas", tables)
        url = psycopg.conninfo.make_conninfo(admin_url, dbname=name)
        p = psycopg.conninfo.conninfo_to_dict(url)
        db_url = (
            f"postgresql://{p.get('user', 'postgres')}@{p.get('host', '127.0.0.1')}:"
            f"{p.get('port', 5432)}/{name}"
        )
        env = {**os.environ, "DBINIT_DATABASE_URL": db_url, "DBINIT_LOG_LEVEL": "error"}
        subprocess.run([DBINIT, "init", "-q"], cwd=folder, env=env, check=True)
        return {"engine": "postgresql", "tables": tables, **measure(folder, env, requests)}
    finally:
        admin.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )
        admin.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--tables", type=int, default=100)
    today = datetime.date.today().isoformat()
    parser.add_argument("--out", type=Path, default=HERE / f"results-health-{today}.json")
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory(prefix="dbinit-health-") as tmp:
        rows.append(sqlite_case(Path(tmp), args.tables, args.requests))
        pg = postgres_case(Path(tmp), args.tables, args.requests)
        if pg is not None:
            rows.append(pg)
    for row in rows:
        print(
            f"{row['engine']:10s} {row['tables']} tables, {row['requests']} requests: "
            f"min {row['min_ms']} ms, median {row['median_ms']} ms, p95 {row['p95_ms']} ms, "
            f"max {row['max_ms']} ms"
        )
    doc = {
        "machine": {
            "platform": platform.platform(),
            "cores": os.cpu_count(),
            "python": platform.python_version(),
        },
        "rows": rows,
    }
    args.out.write_text(json.dumps(doc, indent=2) + "\n")
    print(f"saved {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
