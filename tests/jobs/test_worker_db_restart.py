"""A worker outlives a restart of PostgreSQL: it registers again and stops cleanly after."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import OperationalError

from models import migrate
from models.cluster import postgis_versions
from models.scratch import temporary_cluster

pytestmark = pytest.mark.skipif(
    not postgis_versions(), reason="restarting needs a cluster of its own (PostgreSQL + PostGIS)"
)


def _wait(check: Callable[[], bool], seconds: float, log: Path, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}; worker log:\n{log.read_text()[-3000:]}")
        time.sleep(0.2)


def test_a_worker_runs_on_after_postgresql_restarts(tmp_path: Path) -> None:
    with temporary_cluster("fieldsales-restart-") as cluster:
        engine = create_engine(cluster.dsn(), pool_pre_ping=True)
        migrate.upgrade(engine)

        def registered_since(moment: float) -> bool:
            try:
                with engine.connect() as connection:
                    found = connection.execute(
                        text(
                            "SELECT count(*) FROM procrastinate_workers"
                            " WHERE last_heartbeat > to_timestamp(:t)"
                        ),
                        {"t": moment},
                    ).scalar_one()
            except OperationalError:
                return False
            return bool(found)

        env = os.environ | {
            "DATABASE_URL": cluster.dsn(),
            "FIELDSALES_DATA_DIR": str(tmp_path),
            "FIELDSALES_SECRET_KEY": "k" * 32,
            "FIELDSALES_WORKER_HEARTBEAT_S": "0.5",
            "FIELDSALES_LOG_FORMAT": "text",
            "OPENBLAS_NUM_THREADS": "1",  # as `fieldsales worker` would set, sparing it a restart
            "OMP_NUM_THREADS": "1",
        }
        log = tmp_path / "worker.log"
        with log.open("ab") as out:
            worker = subprocess.Popen(
                [sys.executable, "-m", "api.cli", "worker"], env=env, stdout=out, stderr=out
            )
        try:
            _wait(lambda: registered_since(0), 60, log, "the worker")
            cluster.stop()
            cluster.start()
            # A heartbeat can still land on the restarted server while the old worker winds
            # down: only one sent after the supervisor started a new worker counts.
            _wait(lambda: "starting again" in log.read_text(), 30, log, "the worker to restart")
            restarted = time.time()
            _wait(lambda: registered_since(restarted), 30, log, "the worker to come back")
            worker.send_signal(signal.SIGTERM)
            code = worker.wait(timeout=30)
        finally:
            if worker.poll() is None:
                worker.kill()
            engine.dispose()

    assert code == 0
    assert "starting again" in log.read_text()
