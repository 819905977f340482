"""The processes bench/load.py runs: a PostGIS it may restart, the API, workers, locust."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx2 as httpx
from sqlalchemy import Engine, text

from models.cluster import Cluster
from models.scratch import scratch_server, temporary_cluster

LOCUSTFILE = Path(__file__).with_name("locustfile.py")


@contextmanager
def server(own: bool) -> Iterator[tuple[str, Cluster | None]]:
    """A server for the scratch database; a cluster of the bench's own when it must restart it."""
    if own:
        with temporary_cluster("fieldsales-bench-") as cluster:
            yield cluster.dsn(), cluster
    else:
        with scratch_server("fieldsales-bench-") as url:
            yield url, None


def spawn(args: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as out:
        return subprocess.Popen(
            [sys.executable, "-m", *args], env=os.environ | env, stdout=out, stderr=out
        )


def stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)


def wait_ready(base: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError("the API stopped:\n" + log.read_text()[-3000:])
        try:
            if httpx.get(base + "/readyz", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.3)
    raise RuntimeError("the API did not become ready:\n" + log.read_text()[-3000:])


@dataclass
class Stack:
    base: str
    api: subprocess.Popen[bytes]
    workers: list[subprocess.Popen[bytes]]


def wait_workers(engine: Engine, count: int, logs: Path) -> None:
    """Until ``count`` workers have registered: the load must not start before they are up."""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        with engine.connect() as connection:
            if (
                connection.execute(text("SELECT count(*) FROM procrastinate_workers")).scalar_one()
                >= count
            ):
                return
        time.sleep(0.5)
    logs_text = "".join(p.read_text()[-1000:] for p in logs.glob("worker-*.log"))
    raise RuntimeError("the workers did not start:\n" + logs_text)


@contextmanager
def services(
    engine: Engine, env: dict[str, str], port: int, workers: int, logs: Path
) -> Iterator[Stack]:
    """One API process and ``workers`` queue workers, stopped (SIGTERM) on leaving."""
    with ExitStack() as stack:
        api = spawn(
            ["api.cli", "serve", "--no-with-worker", "--port", str(port)], env, logs / "api.log"
        )
        stack.callback(stop, api)
        running = []
        for i in range(workers):
            running.append(spawn(["api.cli", "worker"], env, logs / f"worker-{i + 1}.log"))
            stack.callback(stop, running[-1])
        base = f"http://127.0.0.1:{port}"
        wait_ready(base, api, logs / "api.log")
        wait_workers(engine, workers, logs)
        yield Stack(base, api, running)


def locust(
    base: str, env: dict[str, str], users: int, seconds: float, pace: float, csv: Path, log: Path
) -> subprocess.Popen[bytes]:
    """Headless locust on loopback for ``seconds``; users finish their visit (up to 60 s) after.

    Reps start over one pace interval, as a field force's first visits spread over the morning,
    not all in the same second.
    """
    args = [
        "locust",
        "-f", str(LOCUSTFILE),
        "--headless",
        "--host", base,
        "-u", str(users),
        "-r", f"{max(1.0, users / pace):.2f}",
        "-t", f"{int(seconds)}s",
        "--stop-timeout", "60",
        "--csv", str(csv),
        "--only-summary",
        "--loglevel", "WARNING",
        "--exit-code-on-error", "0",
    ]  # fmt: skip
    return spawn(args, env, log)


def restart(cluster: Cluster, down_s: float) -> tuple[float, float, float]:
    """Stop PostgreSQL (fast: sessions cut), keep it down, start it; returns the three times."""
    began = time.time()
    cluster.stop()
    stopped = time.time()
    time.sleep(down_s)
    cluster.start()
    return began, stopped, time.time()
