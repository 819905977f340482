"""Shelf photos analysed per minute with 1 and 2 workers, and the queue delay at a steady rate.

    .venv/bin/python -m bench.pipeline [--photos 24] [--seconds 60] [--load 0.6]

On one throwaway PostGIS with the demo catalogue: for 1 and then 2 `fieldsales worker`
processes (warmed by one photo each, then paused), uploads a burst of shelf photos through
the API, resumes the workers and times them until every photo is analysed. Then, with 2
workers, uploads at ``--load`` times their measured capacity for ``--seconds`` and reports the
delay from upload to `analysed` (p50, p99), as seen by polling every 0.1 s.
"""

from __future__ import annotations

import argparse
import io
import os
import signal
import statistics
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
from fastapi.testclient import TestClient
from rich.console import Console
from rich.table import Table
from sqlalchemy import Engine, text

from api import tokens
from api.app import create_app
from bench._common import database, python
from models.db import unit_of_work
from models.demo.catalogue import add_pack_images, demo_catalogue, insert_catalogue, make_products
from models.settings import Settings
from models.storage import make_store
from models.users import Role
from tests.factories.geo import create_outlet, create_territory
from tests.factories.users import create_user
from vision.synth import render_shelf

SECRET = "bench-signing-key-0123456789abcdef"
SEED = 7
SCENES = 6  # distinct shelves; each upload goes to a visit of its own
console = Console()


@dataclass
class Burst:
    workers: int
    photos: int
    seconds: float

    @property
    def per_minute(self) -> float:
        return 60 * self.photos / self.seconds


class Pipeline:
    """The API in process, workers as processes, photos uploaded as a rep's phone would."""

    def __init__(self, engine: Engine, settings: Settings, client: TestClient) -> None:
        self.engine, self.settings, self.client = engine, settings, client
        url, data_dir = settings.dsn(), settings.data_dir
        self.env = os.environ | {
            "DATABASE_URL": url,
            "FIELDSALES_DATA_DIR": str(data_dir),
            "FIELDSALES_SECRET_KEY": SECRET,
            "FIELDSALES_LOG_LEVEL": "WARNING",
            "OPENBLAS_NUM_THREADS": "1",
            "OMP_NUM_THREADS": "1",
        }
        with unit_of_work(engine) as session:
            products = make_products(np.random.default_rng(SEED), SEED)
            insert_catalogue(session, products)
            add_pack_images(session, make_store(self.settings), products, max_bytes=10**7)
            territory = create_territory(session)
            self.outlet = str(create_outlet(session).id)
            rep = create_user(session, role=Role.rep, territory_ids=[territory.id])
            token = tokens.issue(self.settings, rep).access_token
        self.headers = {"Authorization": f"Bearer {token}"}
        self.shots = [self._render(seed) for seed in range(SCENES)]
        self.uploaded = 0

    def _render(self, seed: int) -> bytes:
        out = io.BytesIO()
        render_shelf(demo_catalogue(SEED), seed).image.save(out, format="JPEG", quality=90)
        return out.getvalue()

    def upload(self) -> str:
        """Check in and send one shelf photo; returns the photo id."""
        visit = str(uuid.uuid4())
        body = {
            "id": visit,
            "outlet_id": self.outlet,
            "started_at": datetime.now(UTC).isoformat(),
            "location": {"lat": 48.05, "lon": 2.05, "accuracy_m": 8},
        }
        assert self.client.post("/v1/visits", json=body, headers=self.headers).status_code == 201
        data = self.shots[self.uploaded % SCENES]
        self.uploaded += 1
        response = self.client.post(
            f"/v1/visits/{visit}/photos",
            files={"file": ("shelf.jpg", data, "image/jpeg")},
            headers=self.headers,
        )
        assert response.status_code == 202, response.text
        return str(response.json()["id"])

    def settled(self, ids: list[str]) -> set[str]:
        with self.engine.connect() as connection:
            rows = connection.execute(
                text("SELECT id::text FROM photo WHERE status <> 'pending' AND id = ANY(:ids)"),
                {"ids": [uuid.UUID(i) for i in ids]},
            )
            return {row[0] for row in rows}

    def wait(self, ids: list[str], timeout: float = 600) -> None:
        deadline = time.monotonic() + timeout
        while len(self.settled(ids)) < len(ids):
            if time.monotonic() > deadline:
                raise TimeoutError(f"{len(ids) - len(self.settled(ids))} photos still pending")
            time.sleep(0.1)

    @contextmanager
    def workers(self, count: int) -> Iterator[list[subprocess.Popen[bytes]]]:
        """``count`` worker processes, each warmed (model loaded) by a photo of its own."""
        processes = [
            subprocess.Popen(
                [python(), "-m", "api.cli", "worker"],
                env=self.env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            for _ in range(count)
        ]
        try:
            time.sleep(2)
            self.wait([self.upload() for _ in range(count)])
            yield processes
        finally:
            for process in processes:
                process.send_signal(signal.SIGTERM)
            for process in processes:
                process.wait(timeout=60)

    def burst(self, count: int, photos: int) -> Burst:
        """Time ``photos`` queued at once; the workers are paused while they are uploaded."""
        with self.workers(count) as processes:
            for process in processes:
                process.send_signal(signal.SIGSTOP)
            ids = [self.upload() for _ in range(photos)]
            started = time.perf_counter()
            for process in processes:
                process.send_signal(signal.SIGCONT)
            self.wait(ids)
            return Burst(count, photos, time.perf_counter() - started)

    def steady(self, count: int, rate_per_s: float, seconds: float) -> list[float]:
        """Delays (s) from upload to a settled status, uploading at ``rate_per_s``."""
        sent: dict[str, float] = {}
        seen: dict[str, float] = {}
        with self.workers(count):
            begun = time.perf_counter()
            next_upload = begun
            while time.perf_counter() - begun < seconds or len(seen) < len(sent):
                now = time.perf_counter()
                if now >= next_upload and now - begun < seconds:
                    sent[self.upload()] = now
                    next_upload += 1 / rate_per_s
                pending = [i for i in sent if i not in seen]
                for photo_id in self.settled(pending) if pending else ():
                    seen[photo_id] = time.perf_counter()
                time.sleep(0.1)
        return [seen[i] - sent[i] for i in sent]


def percentile(values: list[float], q: int) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--photos", type=int, default=24, help="Photos per burst.")
    parser.add_argument("--seconds", type=float, default=60, help="Steady-rate phase length.")
    parser.add_argument("--load", type=float, default=0.6, help="Steady rate / capacity.")
    args = parser.parse_args()
    load = os.getloadavg()
    with database() as engine, tempfile.TemporaryDirectory(prefix="fieldsales-bench-") as tmp:
        url = engine.url.render_as_string(hide_password=False)
        settings = Settings(database_url=url, data_dir=Path(tmp), secret_key=SECRET)
        with TestClient(create_app(settings)) as client:
            pipeline = Pipeline(engine, settings, client)
            bursts = [pipeline.burst(count, args.photos) for count in (1, 2)]
            rate = args.load * bursts[-1].per_minute / 60
            delays = pipeline.steady(2, rate, args.seconds)
    table = Table("workers", "photos", "seconds", "photos/min")
    for b in bursts:
        table.add_row(str(b.workers), str(b.photos), f"{b.seconds:.1f}", f"{b.per_minute:.1f}")
    console.print(table)
    delay = Table("workers", "upload rate /min", "photos", "delay p50 s", "delay p99 s", "max s")
    delay.add_row(
        "2",
        f"{60 * rate:.1f}",
        str(len(delays)),
        f"{percentile(delays, 50):.2f}",
        f"{percentile(delays, 99):.2f}",
        f"{max(delays):.2f}",
    )
    console.print(delay)
    console.print(
        f"{os.cpu_count()} CPUs; load average (1, 5, 15 min) before: "
        + ", ".join(f"{x:.2f}" for x in load)
        + "; after: "
        + ", ".join(f"{x:.2f}" for x in os.getloadavg())
    )


if __name__ == "__main__":
    main()
