"""Shared by the benchmarks: a throwaway PostGIS cluster (or DATABASE_URL) and served apps."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager

import httpx2 as httpx
from sqlalchemy import Engine, create_engine

from models import migrate
from models.scratch import scratch_database, scratch_server


@contextmanager
def database() -> Iterator[Engine]:
    """A migrated scratch database: on DATABASE_URL's server, or on a cluster of its own."""
    with scratch_server("fieldsales-bench-") as server, scratch_database(server) as url:
        engine = create_engine(url, pool_size=20)
        try:
            migrate.upgrade(engine)
            yield engine
        finally:
            engine.dispose()


@contextmanager
def served(command: list[str], env: dict[str, str], port: int) -> Iterator[str]:
    """Run an HTTP server process until it answers, then stop it."""
    process = subprocess.Popen(
        command, env={**os.environ, **env}, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                httpx.get(base + "/healthz", timeout=1)
                break
            except httpx.TransportError:
                time.sleep(0.2)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=30)


def python() -> str:
    return sys.executable
