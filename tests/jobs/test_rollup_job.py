"""The worker's periodic rollup job brings the planning rollup to this month and the last."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import create_engine, text
from sqlmodel import Session

from jobs import photos as photo_jobs
from jobs.app import make_app
from models import migrate
from models.db import unit_of_work
from models.planning.frame import add_months
from models.settings import Settings
from tests.factories.geo import create_outlet, create_territory


def test_the_periodic_job_claims_the_marks_and_holds_two_months(
    make_database: Callable[[], str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = make_database()
    engine = create_engine(url)
    migrate.upgrade(engine)
    settings = Settings(
        database_url=url, data_dir=tmp_path, secret_key="k" * 32, timezone="Europe/Paris"
    )
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("FIELDSALES_DATA_DIR", str(tmp_path))
    photo_jobs.runtime.cache_clear()
    app = make_app(settings, with_periodic=True)
    with unit_of_work(engine) as session:
        territory = create_territory(session, code="T1")
        create_outlet(session)
    try:
        with app.open():
            app.configure_task("fieldsales:refresh_rollups").defer(timestamp=0)
        app.run_worker(queues=["periodic"], wait=False, concurrency=1)

        this_month = datetime.now(ZoneInfo("Europe/Paris")).date().replace(day=1)
        with Session(engine) as session:
            months = set(session.scalars(text("SELECT month FROM planning_snapshot")))
            marks = session.scalar(text("SELECT count(*) FROM planning_dirty"))
            universe = session.scalar(
                text(
                    "SELECT universe FROM planning_outlets_cell "
                    "WHERE territory_id = :t AND month = :m AND NOT subtree"
                ),
                {"t": territory.id, "m": this_month},
            )
        assert months == {this_month, add_months(this_month, -1)}
        assert marks == 0
        assert universe == 1
    finally:
        photo_jobs.runtime.cache_clear()
        engine.dispose()
