"""The analysis pipeline end to end: upload through the API, a real worker, the real model."""

from __future__ import annotations

import io
import os
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from fastapi.testclient import TestClient
from PIL import Image
from sqlalchemy import Engine, create_engine, func, text
from sqlmodel import Session, col, select

from api.app import create_app
from jobs import photos as photo_jobs
from jobs.app import make_app
from jobs.photos import queue_rescore
from models import migrate
from models.analysis import PhotoAnalysis, PhotoBrandShare, PhotoDetection
from models.db import unit_of_work
from models.demo.catalogue import add_pack_images, demo_catalogue, insert_catalogue, make_products
from models.photos import photos_to_rescore
from models.settings import Settings
from models.storage import make_store
from models.users import Role
from models.visits import Photo, Visit
from tests.factories.geo import create_outlet, create_territory
from tests.factories.users import create_user, sign_in
from vision.session import DEFAULT_DETECTOR
from vision.synth import render_shelf

pytestmark = pytest.mark.skipif(
    not Path(os.environ.get("FIELDSALES_DETECTOR", DEFAULT_DETECTOR)).exists(),
    reason="the shipped detector model is not built yet",
)
SEED = 7


@pytest.fixture
def world(
    make_database: Callable[[], str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[dict[str, Any]]:
    """A committed database with the demo catalogue, a rep and their outlet; env for workers."""
    url = make_database()
    engine = create_engine(url)
    migrate.upgrade(engine)
    settings = Settings(database_url=url, data_dir=tmp_path, secret_key="k" * 32)
    for name, value in {
        "DATABASE_URL": url,
        "FIELDSALES_DATA_DIR": str(tmp_path),
        "FIELDSALES_SECRET_KEY": "k" * 32,
    }.items():
        monkeypatch.setenv(name, value)
    photo_jobs.runtime.cache_clear()
    with unit_of_work(engine) as session:
        products = make_products(np.random.default_rng(SEED), SEED)
        insert_catalogue(session, products)
        add_pack_images(session, make_store(settings), products, max_bytes=10**7)
        territory = create_territory(session)
        outlets = [create_outlet(session), create_outlet(session, lon=2.06)]
        rep = create_user(session, role=Role.rep, territory_ids=[territory.id])
        session.expunge_all()
    yield {"engine": engine, "settings": settings, "rep": rep, "outlets": outlets}
    photo_jobs.runtime.cache_clear()
    engine.dispose()


def shelf_jpeg(scene_seed: int) -> tuple[bytes, Any]:
    scene = render_shelf(demo_catalogue(SEED), scene_seed)
    out = io.BytesIO()
    scene.image.save(out, format="JPEG", quality=90)
    return out.getvalue(), scene


def upload(client: TestClient, headers: dict[str, str], outlet_id: uuid.UUID, data: bytes) -> str:
    visit_id = str(uuid.uuid4())
    checkin = {
        "id": visit_id,
        "outlet_id": str(outlet_id),
        "started_at": datetime.now(UTC).isoformat(),
        "location": {"lat": 48.05, "lon": 2.05, "accuracy_m": 8},
    }
    assert client.post("/v1/visits", json=checkin, headers=headers).status_code == 201
    response = client.post(
        f"/v1/visits/{visit_id}/photos",
        files={"file": ("shelf.jpg", data, "image/jpeg")},
        headers=headers,
    )
    assert response.status_code == 202, response.text
    return str(response.json()["id"])


def run_worker(settings: Settings) -> None:
    make_app(settings).run_worker(queues=["photos"], wait=False, concurrency=1)


def test_uploaded_photos_are_analysed_once_and_reuse_is_flagged(world: dict[str, Any]) -> None:
    engine: Engine = world["engine"]
    data, scene = shelf_jpeg(1)
    with TestClient(create_app(world["settings"])) as client:
        headers = sign_in(client, world["rep"])
        first = upload(client, headers, world["outlets"][0].id, data)
        again = upload(client, headers, world["outlets"][1].id, data)  # the same shot, elsewhere

        run_worker(world["settings"])
        status = client.get(f"/v1/photos/{first}", headers=headers).json()["status"]
        found = client.get(f"/v1/photos/{first}/analysis", headers=headers).json()
        picture = client.get(f"/v1/photos/{first}/annotated.jpg", headers=headers)
        with Session(engine, expire_on_commit=False) as session:
            stranger = create_user(session, role=Role.manager)
            session.commit()
        hidden = client.get(f"/v1/photos/{first}/analysis", headers=sign_in(client, stranger))

    with Session(engine) as session:
        analysis = session.get(PhotoAnalysis, uuid.UUID(first))
        assert analysis is not None
        detections = session.exec(
            select(func.count())
            .select_from(PhotoDetection)
            .where(PhotoDetection.photo_id == analysis.photo_id)
        ).one()
        shares = session.exec(
            select(PhotoBrandShare).where(PhotoBrandShare.photo_id == analysis.photo_id)
        ).all()
        flagged = session.exec(
            select(Visit).join(Photo, col(Photo.visit_id) == col(Visit.id))
        ).all()
        jobs = session.execute(
            text("SELECT status, count(*) FROM procrastinate_jobs GROUP BY status")
        ).all()

    assert status in ("analysed", "rejected")
    assert len(found["detections"]) == detections
    assert sum(found["brand_share"].values()) == pytest.approx(sum(s.share for s in shares))
    assert picture.headers["content-type"] == "image/jpeg"
    assert Image.open(io.BytesIO(picture.content)).size == (1280, 960)
    assert hidden.status_code == 404
    products = int(np.sum(scene.classes == 0))
    assert detections >= 0.5 * products, (detections, products)
    assert sum(s.share for s in shares) <= 1.0 + 1e-6
    assert [dict(row._mapping) for row in jobs] == [{"status": "succeeded", "count": 2}]
    assert all("reused_photo" in visit.flags for visit in flagged)
    assert again != first


def test_rescore_replaces_results_without_duplicating(world: dict[str, Any]) -> None:
    engine: Engine = world["engine"]
    with TestClient(create_app(world["settings"])) as client:
        photo_id = upload(
            client, sign_in(client, world["rep"]), world["outlets"][0].id, shelf_jpeg(2)[0]
        )
    run_worker(world["settings"])

    def results() -> tuple[int, int, int]:
        with Session(engine) as session:
            return (
                session.exec(select(func.count()).select_from(PhotoAnalysis)).one(),
                session.exec(select(func.count()).select_from(PhotoDetection)).one(),
                session.exec(select(func.count()).select_from(PhotoBrandShare)).one(),
            )

    before = results()
    with unit_of_work(engine) as session:
        ids = photos_to_rescore(session, since=None, territory_id=None)
        queue_rescore(make_app(world["settings"]), session, ids)
    run_worker(world["settings"])

    assert ids == [uuid.UUID(photo_id)]
    assert before[0] == 1
    assert results() == before
