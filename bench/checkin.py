"""Check-ins per second and latency at 32 concurrent connections, against a bare baseline.

    .venv/bin/python -m bench.checkin [--seconds 15] [--concurrency 32] [--processes 1]

Runs the real service (one process, JSON logs, auth, scoping, geofence, exactly-once insert)
and, in the same run, bench/baseline_checkin.py (bare Starlette + asyncpg doing the same
INSERT) on one throwaway PostGIS, drives both with the same load and prints the ratio.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

import httpx2 as httpx
from rich.console import Console
from rich.table import Table
from sqlalchemy import Engine, text

from api import tokens
from bench._common import database, python, served
from models.cluster import free_port
from models.db import unit_of_work
from models.settings import Settings
from models.users import Role
from tests.factories.geo import create_outlet, create_territory
from tests.factories.users import create_user

SECRET = "bench-signing-key-0123456789abcdef"
console = Console()


@dataclass
class Result:
    name: str
    requests: int
    errors: int
    seconds: float
    latencies_ms: list[float]

    @property
    def throughput(self) -> float:
        return self.requests / self.seconds

    def percentile(self, q: float) -> float:
        return statistics.quantiles(self.latencies_ms, n=100)[int(q) - 1]


def seed(engine: Engine, outlets: int = 200) -> tuple[str, list[tuple[str, float, float]]]:
    """A territory full of outlets and a rep; returns the rep's token and the outlets."""
    rng = random.Random(1)
    with unit_of_work(engine) as session:
        territory = create_territory(session, corner=(2.2, 48.8), size=0.2)
        points = [(2.2 + rng.random() * 0.2, 48.8 + rng.random() * 0.2) for _ in range(outlets)]
        created = [create_outlet(session, lon=lon, lat=lat) for lon, lat in points]
        rep = create_user(session, role=Role.rep, territory_ids=[territory.id])
        token = tokens.issue(Settings(secret_key=SECRET), rep).access_token
        rows = [(str(o.id), lon, lat) for o, (lon, lat) in zip(created, points, strict=True)]
    with engine.begin() as conn:
        conn.execute(
            text(
                "CREATE TABLE IF NOT EXISTS bench_visit (id uuid PRIMARY KEY, outlet_id uuid,"
                " started_at timestamptz, location geometry(Point, 4326))"
            )
        )
    return token, rows


async def drive(
    name: str,
    base: str,
    token: str,
    outlets: list[tuple[str, float, float]],
    seconds: float,
    concurrency: int,
) -> Result:
    latencies: list[float] = []
    errors = 0
    headers = {"Authorization": f"Bearer {token}"}
    deadline = time.perf_counter() + seconds
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)

    async def worker(client: httpx.AsyncClient, rng: random.Random) -> None:
        nonlocal errors
        while time.perf_counter() < deadline:
            outlet_id, lon, lat = rng.choice(outlets)
            body = {
                "id": str(uuid.uuid4()),
                "outlet_id": outlet_id,
                "started_at": datetime.now(UTC).isoformat(),
                "location": {"lon": lon + 0.0003, "lat": lat, "accuracy_m": 12},
            }
            started = time.perf_counter()
            response = await client.post(f"{base}/v1/visits", json=body, headers=headers)
            latencies.append((time.perf_counter() - started) * 1000)
            errors += response.status_code != 201

    async with httpx.AsyncClient(limits=limits, timeout=30) as client:
        begun = time.perf_counter()
        await asyncio.gather(*(worker(client, random.Random(i)) for i in range(concurrency)))
        elapsed = time.perf_counter() - begun
    return Result(name, len(latencies), errors, elapsed, latencies)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=15)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument(
        "--processes", type=int, default=1, help="HTTP server processes, the same for both."
    )
    args = parser.parse_args()
    with database() as engine:
        token, outlets = seed(engine)
        dsn = engine.url.render_as_string(hide_password=False)
        results = []
        port = free_port()
        env = {
            "DATABASE_URL": dsn,
            "FIELDSALES_SECRET_KEY": SECRET,
            "FIELDSALES_DEMO_DATA": "false",
        }
        command = [python(), "-m", "api.cli", "serve", "--no-with-worker", "--port", str(port)]
        command += ["--processes", str(args.processes)]
        with served(command, env, port) as base:
            asyncio.run(drive("fieldsales", base, token, outlets, 2, args.concurrency))  # warm up
            results.append(
                asyncio.run(
                    drive("fieldsales", base, token, outlets, args.seconds, args.concurrency)
                )
            )
        port = free_port()
        libpq = dsn.replace("postgresql+psycopg://", "postgresql://")
        command = [
            python(),
            "-m",
            "uvicorn",
            "bench.baseline_checkin:app",
            "--port",
            str(port),
            "--log-level",
            "warning",
            "--workers",
            str(args.processes),
        ]
        with served(command, {"BASELINE_DSN": libpq}, port) as base:
            asyncio.run(drive("baseline", base, token, outlets, 2, args.concurrency))
            results.append(
                asyncio.run(drive("baseline", base, token, outlets, args.seconds, args.concurrency))
            )
    table = Table("server", "check-ins/s", "p50 ms", "p99 ms", "errors", "requests")
    for r in results:
        table.add_row(
            r.name,
            f"{r.throughput:.0f}",
            f"{r.percentile(50):.1f}",
            f"{r.percentile(99):.1f}",
            str(r.errors),
            str(r.requests),
        )
    console.print(table)
    ours, baseline = results
    console.print(
        f"throughput ratio fieldsales/baseline = {ours.throughput / baseline.throughput:.2f} "
        f"(goal ≥ 0.5); p99 {ours.percentile(99):.0f} ms (goal < 100 ms); "
        f"{args.concurrency} connections, {args.seconds:.0f} s each, "
        f"{args.processes} server process(es) each"
    )


if __name__ == "__main__":
    main()
