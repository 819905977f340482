"""One demo market, loaded once into a database of its own and read by the tests here."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date

import pytest
from sqlalchemy import Engine, create_engine
from sqlmodel import Session

from models import migrate
from models.demo import DemoSummary, MarketSize, load_demo
from models.settings import Settings
from models.storage import LocalStore

SEED = 11
# Small enough to load in seconds, big enough for every territory to have outlets; shelf
# photos only where the planted problems need them (the planted share drop, the reuse).
TEST_SIZE = MarketSize(outlets=400, visit_weeks=2, photos_per_week=0, planted_photos_per_week=8)
TODAY = date(2026, 6, 17)  # a Wednesday: the visit history ends on Tuesday


@dataclass(frozen=True)
class Market:
    url: str
    engine: Engine
    settings: Settings
    store: LocalStore
    summary: DemoSummary


@pytest.fixture(scope="session")
def market(
    make_database: Callable[[], str], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Market]:
    """The demo market at the test size, committed: tests must only read it, or roll back."""
    url = make_database()
    engine = create_engine(url)
    migrate.upgrade(engine)
    data = tmp_path_factory.mktemp("demo-data")
    settings = Settings(
        database_url=url, data_dir=data, secret_key="test-signing-key-0123456789abcdef"
    )
    store = LocalStore(data / "photos")
    with Session(engine) as session:
        summary = load_demo(session, settings, store, seed=SEED, size=TEST_SIZE, today=TODAY)
        session.commit()
    yield Market(url, engine, settings, store, summary)
    engine.dispose()


@pytest.fixture
def market_session(market: Market) -> Iterator[Session]:
    """A session on the market whose changes are all rolled back."""
    with market.engine.connect() as connection:
        transaction = connection.begin()
        with Session(bind=connection, join_transaction_mode="create_savepoint") as session:
            yield session
        transaction.rollback()
