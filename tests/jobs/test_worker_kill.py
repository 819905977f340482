"""Real worker processes: one killed mid-analysis, the next finishes its job exactly once.

A second photo whose bytes are gone fails every attempt: it ends ``failed``, with its error,
in the admins' job listing.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, create_engine, func, text
from sqlmodel import Session, select

from api.app import create_app
from jobs.photos import ATTEMPTS
from models import migrate
from models.analysis import PhotoAnalysis, PhotoDetection
from models.db import unit_of_work
from models.demo.catalogue import add_pack_images, insert_catalogue, make_products
from models.settings import Settings
from models.storage import make_store
from models.users import Role
from models.visits import Photo
from tests.factories.geo import create_outlet, create_territory
from tests.factories.users import create_user, sign_in
from tests.jobs.test_analyse_photo import SEED, shelf_jpeg, upload
from vision.session import DEFAULT_DETECTOR

pytestmark = pytest.mark.skipif(
    not Path(os.environ.get("FIELDSALES_DETECTOR", DEFAULT_DETECTOR)).exists(),
    reason="the shipped detector model is not built yet",
)
# Heartbeats every half second, a worker silent for two is gone, stalled jobs looked for
# every second: the production defaults (10 s, 30 s, a minute) scaled down for the test.
FAST_RECOVERY = {
    "FIELDSALES_WORKER_HEARTBEAT_S": "0.5",
    "FIELDSALES_WORKER_STALLED_AFTER_S": "2",
    "FIELDSALES_STALLED_JOBS_CRON": "* * * * * *",
    "FIELDSALES_LOG_FORMAT": "text",
    "OPENBLAS_NUM_THREADS": "1",  # as `fieldsales worker` would set, sparing it a restart
    "OMP_NUM_THREADS": "1",
}


@pytest.fixture
def world(make_database: Callable[[], str], tmp_path: Path) -> Iterator[dict[str, Any]]:
    """A migrated database with the demo catalogue, a rep, an admin; the workers' environment."""
    url = make_database()
    engine = create_engine(url)
    migrate.upgrade(engine)
    settings = Settings(database_url=url, data_dir=tmp_path, secret_key="k" * 32)
    env = (
        os.environ
        | FAST_RECOVERY
        | {
            "DATABASE_URL": url,
            "FIELDSALES_DATA_DIR": str(tmp_path),
            "FIELDSALES_SECRET_KEY": "k" * 32,
        }
    )
    with unit_of_work(engine) as session:
        products = make_products(np.random.default_rng(SEED), SEED)
        insert_catalogue(session, products)
        add_pack_images(session, make_store(settings), products, max_bytes=10**7)
        territory = create_territory(session)
        outlet = create_outlet(session)
        rep = create_user(session, role=Role.rep, territory_ids=[territory.id])
        admin = create_user(session, role=Role.admin)
        session.expunge_all()
    yield {"engine": engine, "settings": settings, "env": env, "rep": rep, "admin": admin,
           "outlet": outlet, "logs": tmp_path}  # fmt: skip
    engine.dispose()


@contextmanager
def worker(env: dict[str, str], log: Path) -> Iterator[subprocess.Popen[bytes]]:
    """``fieldsales worker`` as a process of its own; killed on leaving if still running."""
    with log.open("ab") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "api.cli", "worker"], env=env, stdout=out, stderr=out
        )
    try:
        yield process
    finally:
        if process.poll() is None:
            process.kill()
        process.wait(timeout=30)


def job_of(engine: Engine, photo_id: str) -> tuple[str, int] | None:
    with engine.connect() as connection:
        row = connection.execute(
            text("SELECT status, attempts FROM procrastinate_jobs WHERE args->>'photo_id' = :id"),
            {"id": photo_id},
        ).one_or_none()
    return None if row is None else (str(row.status), int(row.attempts))


def wait_for(check: Callable[[], bool], seconds: float, logs: Path, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        if time.monotonic() > deadline:
            written = "".join(p.read_text() for p in sorted(logs.glob("worker-*.log")))
            pytest.fail(f"timed out waiting for {what}; worker logs:\n{written}")
        time.sleep(0.05)


def test_a_killed_worker_s_job_is_finished_once_and_a_failing_one_is_kept(
    world: dict[str, Any],
) -> None:
    engine: Engine = world["engine"]
    logs: Path = world["logs"]
    data, scene = shelf_jpeg(3)
    with TestClient(create_app(world["settings"])) as client:
        rep, outlet = sign_in(client, world["rep"]), world["outlet"].id
        # Queued first, the photo whose bytes are gone fails its first run on the first worker.
        bad = upload(client, rep, outlet, shelf_jpeg(4)[0])
        with Session(engine) as session:
            bad_photo = session.get(Photo, uuid.UUID(bad))
            assert bad_photo is not None
            make_store(world["settings"]).delete(bad_photo.storage_key)
        good = upload(client, rep, outlet, data)

        with worker(world["env"], logs / "worker-1.log") as first:
            wait_for(lambda: job_of(engine, good) == ("doing", 0), 90, logs, "the analysis")
            first.send_signal(signal.SIGKILL)
            first.wait(timeout=10)
        with Session(engine) as session:
            killed = session.get(Photo, uuid.UUID(good))
            assert killed is not None
            status_after_kill = killed.status

        with worker(world["env"], logs / "worker-2.log"):
            wait_for(
                lambda: (
                    job_of(engine, good) == ("succeeded", 2)
                    and job_of(engine, bad) == ("failed", ATTEMPTS)
                ),
                90,
                logs,
                "recovery",
            )
        found = client.get(f"/v1/photos/{good}/analysis", headers=rep).json()
        failed = client.get(
            "/v1/admin/jobs", params={"status": "failed"}, headers=sign_in(client, world["admin"])
        ).json()

    with Session(engine) as session:
        photo, lost = session.get(Photo, uuid.UUID(good)), session.get(Photo, uuid.UUID(bad))
        analyses = session.exec(select(func.count()).select_from(PhotoAnalysis)).one()
        detections = session.exec(
            select(func.count())
            .select_from(PhotoDetection)
            .where(PhotoDetection.photo_id == uuid.UUID(good))
        ).one()

    assert status_after_kill == "pending"
    assert photo is not None
    assert photo.status in ("analysed", "rejected")
    assert analyses == 1
    assert detections == len(found["detections"])
    assert 0 < detections <= len(scene.classes)
    assert lost is not None
    assert lost.status == "failed"
    assert [(j["photo_id"], j["attempts"]) for j in failed["items"]] == [(bad, ATTEMPTS)]
    assert failed["items"][0]["error"] == lost.status_reason
    assert "analysis failed" in (lost.status_reason or "")
