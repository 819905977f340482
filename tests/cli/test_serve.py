"""The run command on the embedded default: its own cluster, one instance, clean stop, kept data."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx2 as httpx
import pytest

from models.cluster import free_port, postgis_versions
from tests.cli.conftest import fieldsales

pytestmark = pytest.mark.skipif(
    not postgis_versions(), reason="the embedded default needs Debian's PostgreSQL + PostGIS"
)


def _env(data_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    return env | {
        "FIELDSALES_DATA_DIR": str(data_dir),
        "FIELDSALES_DB_PORT": str(free_port()),
        "FIELDSALES_PORT": str(free_port()),
    }


@contextmanager
def serving(env: dict[str, str], log: Path) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """``fieldsales serve`` until /readyz is 200; Ctrl-C (SIGINT) on leaving."""
    base = f"http://127.0.0.1:{env['FIELDSALES_PORT']}"
    with log.open("ab") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "api.cli", "serve"], env=env, stdout=out, stderr=out
        )
    try:
        # The first start loads the demo market, shelf photos analysed included.
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            assert process.poll() is None, log.read_text()
            try:
                if httpx.get(f"{base}/readyz", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            time.sleep(0.3)
        else:
            pytest.fail("the service did not become ready:\n" + log.read_text())
        yield base, process
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(timeout=60)


def _postmaster_alive(data_dir: Path) -> bool:
    pidfile = data_dir / "postgres" / "postmaster.pid"
    if not pidfile.exists():
        return False
    try:
        os.kill(int(pidfile.read_text().split()[0]), 0)
    except ProcessLookupError:
        return False
    return True


def test_serve_runs_once_stops_cleanly_and_keeps_data(shared_tmp: Path) -> None:
    data_dir = shared_tmp / "data"
    env = _env(data_dir)
    log = shared_tmp / "serve.log"

    with serving(env, log) as (base, process):
        demo = httpx.post(f"{base}/v1/auth/token", data={"username": "rep", "password": "rep-demo"})
        second = fieldsales("serve", env=env)
        created = fieldsales(
            "users", "create", "--username", "kept", "--password", "kept-pw", "--role", "admin",
            env=env,
        )  # fmt: skip
        request_id = httpx.get(f"{base}/healthz").headers["x-request-id"]
    stopped_cleanly = process.returncode == 0 and not _postmaster_alive(data_dir)

    with serving(env, log) as (base, _):
        kept = httpx.post(f"{base}/v1/auth/token", data={"username": "kept", "password": "kept-pw"})

    assert demo.status_code == 200
    assert second.returncode == 1
    assert "already running" in second.stderr
    assert created.returncode == 0, created.stderr
    assert stopped_cleanly, log.read_text()
    assert kept.status_code == 200
    assert not _postmaster_alive(data_dir)
    access = [json.loads(line) for line in log.read_text().splitlines() if '"request"' in line]
    assert any(e["request_id"] == request_id and e["path"] == "/healthz" for e in access)
