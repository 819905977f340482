"""Shared by the benchmarks: a throwaway PostGIS cluster (or DATABASE_URL) and served apps."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx2 as httpx
from sqlalchemy import Engine, create_engine

from models import migrate
from models.cluster import Cluster, free_port


@contextmanager
def database() -> Iterator[Engine]:
    """A migrated database: DATABASE_URL's, or a cluster of its own removed afterwards."""
    if url := os.environ.get("DATABASE_URL"):
        engine = create_engine(url)
        migrate.upgrade(engine)
        yield engine
        return
    base = Path(tempfile.mkdtemp(prefix="fieldsales-bench-"))
    base.chmod(0o755)
    cluster = Cluster(base / "postgres", free_port(), base / "db-password")
    cluster.init()
    cluster.start()
    engine = create_engine(cluster.dsn(), pool_size=20)
    try:
        migrate.upgrade(engine)
        yield engine
    finally:
        engine.dispose()
        cluster.remove()
        shutil.rmtree(base, ignore_errors=True)


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
