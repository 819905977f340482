"""Two API processes and two workers on one database: nothing depends on a single process.

A phone's retry may land on the other API process, even while the first attempt is still in
flight; either way there is one visit and one photo per id, each photo is analysed once, and
both workers take a share of the photos.
"""

from __future__ import annotations

import io
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import httpx2 as httpx
import numpy as np
import pytest
from sqlalchemy import Engine, create_engine, text

from api import tokens
from models import migrate
from models.cluster import free_port
from models.db import unit_of_work
from models.demo.catalogue import add_pack_images, demo_catalogue, insert_catalogue, make_products
from models.settings import Settings
from models.storage import make_store
from models.users import Role
from tests.factories.geo import create_outlet, create_territory
from tests.factories.users import create_user
from vision.session import DEFAULT_DETECTOR
from vision.synth import render_shelf

pytestmark = pytest.mark.skipif(
    not Path(os.environ.get("FIELDSALES_DETECTOR", DEFAULT_DETECTOR)).exists(),
    reason="the shipped detector model is not built yet",
)
SEED = 7
SECRET = "two-of-everything-signing-key-0123456789"
VISITS = 3
PHOTOS_PER_VISIT = 2


@dataclass
class Cluster:
    engine: Engine
    apis: list[str]
    headers: dict[str, str]
    outlet: str
    logs: Path
    workers: list[subprocess.Popen[bytes]]


def _spawn(args: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "api.cli", *args], env=env, stdout=out, stderr=out
        )


def _stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)


def _wait(check: Callable[[], bool], seconds: float, logs: Path, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        if time.monotonic() > deadline:
            written = "".join(f"--- {p.name}\n{p.read_text()[-2000:]}" for p in logs.glob("*.log"))
            pytest.fail(f"timed out waiting for {what}:\n{written}")
        time.sleep(0.2)


def _up(base: str) -> bool:
    try:
        return httpx.get(f"{base}/healthz", timeout=5).status_code == 200
    except httpx.TransportError:
        return False


def _scalar(engine: Engine, sql: str) -> int:
    with engine.connect() as connection:
        return int(connection.execute(text(sql)).scalar_one())


@pytest.fixture
def pair(make_database: Callable[[], str], tmp_path: Path) -> Iterator[Cluster]:
    """Two `serve --no-with-worker` and two `worker` processes on one migrated database."""
    url = make_database()
    engine = create_engine(url)
    migrate.upgrade(engine)
    settings = Settings(database_url=url, data_dir=tmp_path / "data", secret_key=SECRET)
    env = os.environ | {
        "DATABASE_URL": url,
        "FIELDSALES_DATA_DIR": str(settings.data_dir),
        "FIELDSALES_SECRET_KEY": SECRET,
        "FIELDSALES_DEMO_DATA": "false",
        "FIELDSALES_LOG_FORMAT": "text",
        "FIELDSALES_LOG_LEVEL": "WARNING",
        "OPENBLAS_NUM_THREADS": "1",  # as `fieldsales worker` would set, sparing it a restart
        "OMP_NUM_THREADS": "1",
        # The workers are held (SIGSTOP) while the photos queue: on a busy machine that can
        # outlast the default 30 s, and a worker's first job would be retried as stalled.
        "FIELDSALES_WORKER_STALLED_AFTER_S": "600",
    }
    ports = [free_port(), free_port()]
    with ExitStack() as stack:
        for i, port in enumerate(ports, 1):
            serve = ["serve", "--no-with-worker", "--port", str(port)]
            stack.callback(_stop, _spawn(serve, env, tmp_path / f"api-{i}.log"))
        workers = [_spawn(["worker"], env, tmp_path / f"worker-{i}.log") for i in (1, 2)]
        for worker in workers:
            stack.callback(_stop, worker)
        # Seeded while the processes start: workers read the catalogue at their first job.
        with unit_of_work(engine) as session:
            products = make_products(np.random.default_rng(SEED), SEED)
            insert_catalogue(session, products)
            add_pack_images(session, make_store(settings), products, max_bytes=10**7)
            territory = create_territory(session)
            outlet = str(create_outlet(session).id)
            rep = create_user(session, role=Role.rep, territory_ids=[territory.id])
            token = tokens.issue(settings, rep).access_token
        apis = [f"http://127.0.0.1:{port}" for port in ports]
        _wait(lambda: all(_up(base) for base in apis), 120, tmp_path, "both APIs")
        _wait(
            lambda: _scalar(engine, "SELECT count(*) FROM procrastinate_workers") == 2,
            120,
            tmp_path,
            "both workers",
        )
        headers = {"Authorization": f"Bearer {token}"}
        yield Cluster(engine, apis, headers, outlet, tmp_path, workers)
    engine.dispose()


def _shelf(seed: int) -> bytes:
    out = io.BytesIO()
    scene = render_shelf(demo_catalogue(SEED), seed, style="clean", size=(640, 480))
    scene.image.save(out, format="JPEG", quality=85)
    return out.getvalue()


def _both(pair: Cluster, path: str, body: Mapping[str, object]) -> list[httpx.Response]:
    """The same request sent to both API processes at once, as a retry racing its original."""
    with ThreadPoolExecutor(2) as pool:
        sends = [
            pool.submit(httpx.post, base + path, headers=pair.headers, json=body, timeout=30)
            for base in pair.apis
        ]
        return [send.result() for send in sends]


def _send_visits(
    pair: Cluster,
    visits: list[str],
    photos: list[str],
    checkins: list[list[int]],
    uploads: list[list[tuple[int, str]]],
) -> None:
    """Check-ins sent to both processes at once; each photo sent to one, retried on the other."""
    for v in range(VISITS):
        visit = str(uuid.uuid4())
        body = {
            "id": visit,
            "outlet_id": pair.outlet,
            "started_at": datetime.now(UTC).isoformat(),
            "location": {"lat": 48.05, "lon": 2.05, "accuracy_m": 8},
        }
        checkins.append(sorted(r.status_code for r in _both(pair, "/v1/visits", body)))
        visits.append(visit)
        for p in range(PHOTOS_PER_VISIT):
            photo, data = str(uuid.uuid4()), _shelf(v * PHOTOS_PER_VISIT + p)
            # The first attempt on one process, its retry on the other.
            sent = [
                httpx.post(
                    f"{base}/v1/visits/{visit}/photos",
                    headers=pair.headers,
                    files={"file": ("shelf.jpg", data, "image/jpeg")},
                    data={"id": photo},
                    timeout=30,
                )
                for base in (pair.apis[(v + p) % 2], pair.apis[(v + p + 1) % 2])
            ]
            uploads.append([(r.status_code, r.json().get("id")) for r in sent])
            photos.append(photo)


def test_two_apis_and_two_workers_keep_one_of_each_and_share_the_analysis(pair: Cluster) -> None:
    visits: list[str] = []
    photos: list[str] = []
    checkins: list[list[int]] = []
    uploads: list[list[tuple[int, str]]] = []
    # Both workers held while the photos queue up, then let go together: each takes a share.
    for worker in pair.workers:
        worker.send_signal(signal.SIGSTOP)
    try:
        _send_visits(pair, visits, photos, checkins, uploads)
    finally:
        for worker in pair.workers:
            worker.send_signal(signal.SIGCONT)

    engine = pair.engine
    _wait(
        lambda: _scalar(engine, "SELECT count(*) FROM photo WHERE status = 'pending'") == 0,
        90,
        pair.logs,
        "the analysis",
    )
    # Read while both workers still run: a worker that stops takes its id off its jobs.
    per_worker = _scalar(
        engine,
        "SELECT count(DISTINCT worker_id) FROM procrastinate_jobs WHERE status = 'succeeded'",
    )
    with engine.connect() as connection:
        stored_visits = sorted(str(r[0]) for r in connection.execute(text("SELECT id FROM visit")))
        stored_photos = connection.execute(
            text(
                "SELECT p.id::text, p.status, count(a.photo_id) AS results FROM photo p"
                " LEFT JOIN photo_analysis a ON a.photo_id = p.id GROUP BY p.id"
            )
        ).all()
        jobs = connection.execute(
            text("SELECT status, attempts FROM procrastinate_jobs WHERE task_name LIKE '%photo'")
        ).all()

    assert checkins == [[200, 201]] * VISITS
    assert uploads == [[(202, photo), (200, photo)] for photo in photos]
    assert stored_visits == sorted(visits)
    assert sorted(r.id for r in stored_photos) == sorted(photos)
    assert {(r.status in ("analysed", "rejected"), r.results) for r in stored_photos} == {(True, 1)}
    assert sorted(tuple(j) for j in jobs) == [("succeeded", 1)] * len(photos)
    assert per_worker == 2
