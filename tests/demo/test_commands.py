"""``fieldsales demo day`` and ``demo tour`` against a served demo market, over real HTTP."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlmodel import Session
from typer.testing import CliRunner

from api.cli import app as cli
from models import migrate
from models.cluster import free_port
from models.demo import MarketSize, load_demo
from models.settings import Settings
from models.storage import LocalStore
from tests.cli.test_serve import serving
from tests.demo.conftest import SEED

# Today's market (the reports read the last weeks up to today), as small as still tells.
SIZE = MarketSize(outlets=300, visit_weeks=1, photos_per_week=0, planted_photos_per_week=2)


@pytest.fixture(scope="module")
def service(
    make_database: Callable[[], str], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, str]]:
    """Today's demo market, served with a worker; yields (base URL, database URL)."""
    url = make_database()
    engine = create_engine(url)
    migrate.upgrade(engine)
    data = tmp_path_factory.mktemp("demo-service")
    settings = Settings(database_url=url, data_dir=data, secret_key="s" * 40)
    with Session(engine) as session:
        load_demo(session, settings, LocalStore(data / "photos"), seed=SEED, size=SIZE)
        session.commit()
    engine.dispose()
    env = {k: v for k, v in os.environ.items() if not k.startswith("FIELDSALES_")} | {
        "DATABASE_URL": url,
        "FIELDSALES_DATA_DIR": str(data),
        "FIELDSALES_SECRET_KEY": "s" * 40,
        "FIELDSALES_PORT": str(free_port()),
        "FIELDSALES_DEMO_DATA": "false",
        "FIELDSALES_LOG_FORMAT": "text",
    }
    with serving(env, data / "serve.log") as (base, _):
        yield base, url


def test_demo_day_plays_a_route_through_the_api_and_shows_the_results(
    service: tuple[str, str],
) -> None:
    base, url = service

    result = CliRunner().invoke(
        cli,
        ["demo", "day", "--url", base, "--rep", "rep", "--stops", "3", "--offline", "1",
         "--seed", str(SEED), "--wait", "60"],
    )  # fmt: skip
    engine = create_engine(url)
    with engine.connect() as connection:
        today = connection.execute(
            text(
                """SELECT count(DISTINCT v.id), count(p.id),
                          count(p.id) FILTER (WHERE p.status IN ('analysed', 'rejected')),
                          count(DISTINCT v.id) FILTER (WHERE v.received_at - v.started_at
                                                       > interval '2 hours')
                   FROM visit AS v JOIN app_user AS u ON u.id = v.rep_id
                   LEFT JOIN photo AS p ON p.visit_id = v.id
                   WHERE u.username = 'rep' AND v.received_at > now() - interval '10 minutes'
                     AND v.ended_at IS NOT NULL"""
            )
        ).one()
    engine.dispose()

    assert result.exit_code == 0, result.output
    assert "Shelf photos, as the model read them" in result.output
    assert tuple(today) == (3, 3, 3, 1)  # three closed visits, each photo settled, one late


def test_demo_tour_prints_the_tables_and_writes_the_pictures(
    service: tuple[str, str], tmp_path: Path
) -> None:
    base, _ = service
    out = tmp_path / "pictures"

    result = CliRunner().invoke(cli, ["demo", "tour", "--url", base, "--out", str(out)])

    assert result.exit_code == 0, result.output
    for title in ("Shelf share by territory", "Alerts", "Coverage × SKU gap", "Top outlets"):
        assert title in result.output
    assert (out / "share-by-week.svg").read_text().startswith("<svg")
    assert "<circle" in (out / "territory-map.svg").read_text()
    assert (out / "annotated-shelf.jpg").read_bytes()[:2] == b"\xff\xd8"
