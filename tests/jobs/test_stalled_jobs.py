"""Stalled-job recovery: jobs of a silent worker go back to the queue, or fail at the limit."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlmodel import Session

from jobs import photos as photo_jobs
from jobs.app import make_app
from jobs.photos import ATTEMPTS, queue_analysis
from models import migrate
from models.db import unit_of_work
from models.settings import Settings
from models.users import Role
from models.visits import Photo, PhotoKind
from tests.factories.geo import create_outlet, create_territory
from tests.factories.users import create_user
from tests.factories.visits import create_visit

# (runs before the lost one, job status after recovery, finished runs, photo status after)
CASES = [
    (0, "todo", 1, "pending"),
    (ATTEMPTS - 2, "todo", ATTEMPTS - 1, "pending"),
    (ATTEMPTS - 1, "failed", ATTEMPTS, "failed"),
]


@pytest.fixture
def stalled(
    make_database: Callable[[], str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[dict[str, Any]]:
    """One running photo job per case, all held by a worker silent for an hour."""
    url = make_database()
    engine = create_engine(url)
    migrate.upgrade(engine)
    settings = Settings(database_url=url, data_dir=tmp_path, secret_key="k" * 32)
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("FIELDSALES_DATA_DIR", str(tmp_path))
    photo_jobs.runtime.cache_clear()
    app = make_app(settings, with_periodic=True)
    jobs: list[tuple[int, str]] = []
    with unit_of_work(engine) as session:
        territory = create_territory(session)
        rep = create_user(session, role=Role.rep, territory_ids=[territory.id])
        visit = create_visit(session, rep=rep, outlet=create_outlet(session), at=datetime.now(UTC))
        worker_id = session.execute(
            text(
                "INSERT INTO procrastinate_workers (last_heartbeat)"
                " VALUES (now() - interval '1 hour') RETURNING id"
            )
        ).scalar_one()
        for runs, *_ in CASES:
            photo = Photo(
                id=uuid.uuid4(),
                visit_id=visit.id,
                kind=PhotoKind.shelf,
                sha256=uuid.uuid4().hex * 2,
                storage_key=f"photos/{uuid.uuid4()}.jpg",
                content_type="image/jpeg",
                size_bytes=1000,
            )
            session.add(photo)
            session.flush()
            job_id = queue_analysis(app, session, photo.id)
            session.execute(
                text(
                    "UPDATE procrastinate_jobs SET status = 'doing', worker_id = :worker,"
                    " attempts = :runs WHERE id = :id"
                ),
                {"worker": worker_id, "runs": runs, "id": job_id},
            )
            jobs.append((job_id, str(photo.id)))
    yield {"engine": engine, "app": app, "jobs": jobs}
    photo_jobs.runtime.cache_clear()
    engine.dispose()


def test_stalled_jobs_are_retried_until_the_limit(stalled: dict[str, Any]) -> None:
    engine: Engine = stalled["engine"]
    app = stalled["app"]
    with app.open():
        app.configure_task("fieldsales:retry_stalled_jobs").defer(timestamp=0)
    app.run_worker(queues=["periodic"], wait=False, concurrency=1)

    found = []
    with Session(engine) as session:
        for job_id, photo_id in stalled["jobs"]:
            status, runs = session.execute(
                text("SELECT status::text, attempts FROM procrastinate_jobs WHERE id = :id"),
                {"id": job_id},
            ).one()
            photo = session.get(Photo, uuid.UUID(photo_id))
            assert photo is not None
            found.append((status, runs, photo.status.value))

    assert found == [(status, runs, photo) for _, status, runs, photo in CASES]
