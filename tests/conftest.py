"""Test fixtures: a throwaway PostGIS server per session, each test in a rolled-back transaction.

With ``DATABASE_URL`` set, the tests use that server instead, in a database of their own that is
dropped afterwards; otherwise they start a cluster in a temporary folder on a free port, never
the run cluster and never a system one.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, create_engine
from sqlmodel import Session

from api.app import create_app
from models import migrate
from models.scratch import create_database, drop_database, scratch_server
from models.settings import Settings
from tests.overrides import on_session


@pytest.fixture(scope="session")
def server_dsn() -> Iterator[str]:
    """The URL of a PostGIS server owned by this test session (or DATABASE_URL's)."""
    with scratch_server("fieldsales-test-") as server:
        yield server


@pytest.fixture(scope="session")
def make_database(server_dsn: str) -> Iterator[Callable[[], str]]:
    """Creates empty databases on the test server; all are dropped at the end of the session."""
    created: list[str] = []

    def make() -> str:
        created.append(create_database(server_dsn, "fieldsales_test"))
        return created[-1]

    yield make
    for url in created:
        drop_database(server_dsn, url)


@pytest.fixture(scope="session")
def database_url(make_database: Callable[[], str]) -> str:
    """A database with the schema built by running the migrations once."""
    url = make_database()
    engine = create_engine(url)
    migrate.upgrade(engine)
    engine.dispose()
    return url


@pytest.fixture(scope="session")
def engine(database_url: str) -> Iterator[Engine]:
    engine = create_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    """A session whose commits become savepoints of a transaction rolled back after the test."""
    with engine.connect() as connection:
        transaction = connection.begin()
        with Session(
            bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False
        ) as session:
            yield session
        transaction.rollback()


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    return Settings(
        database_url=database_url,
        data_dir=tmp_path / "data",
        secret_key="test-signing-key-0123456789abcdef",
    )


@pytest.fixture
def app(settings: Settings, session: Session) -> FastAPI:
    app = create_app(settings)

    def test_session() -> Iterator[Session]:
        # Each request in a savepoint: released on success, rolled back on error, exactly as
        # the real unit of work commits or rolls back.
        with session.begin_nested():
            yield session

    on_session(app, test_session)
    return app


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app) as client:
        yield client
