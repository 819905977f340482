"""Test fixtures: a throwaway PostGIS server per session, each test in a rolled-back transaction.

With ``DATABASE_URL`` set, the tests use that server instead, in a database of their own that is
dropped afterwards; otherwise they start a cluster in a temporary folder on a free port, never
the run cluster and never a system one.
"""

from __future__ import annotations

import os
import tempfile
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import psycopg
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from psycopg import sql
from sqlalchemy import Engine, create_engine, make_url
from sqlmodel import Session

from api.app import create_app
from api.deps import get_session
from models import migrate
from models.cluster import Cluster, free_port
from models.settings import Settings, normalise_dsn


@pytest.fixture(scope="session")
def server_dsn() -> Iterator[str]:
    """The URL of a PostGIS server owned by this test session (its ``postgres``-like database)."""
    if url := os.environ.get("DATABASE_URL"):
        yield normalise_dsn(url)
        return
    base = Path(tempfile.mkdtemp(prefix="fieldsales-test-"))
    base.chmod(0o755)  # the server may run as the unprivileged 'postgres' account
    cluster = Cluster(base / "postgres", free_port(), base / "db-password")
    cluster.init()
    cluster.start()
    try:
        yield cluster.dsn()
    finally:
        cluster.remove()
        for leftover in base.iterdir():
            leftover.unlink()
        base.rmdir()


def _libpq(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def make_database(server_dsn: str) -> Iterator[Callable[[], str]]:
    """Creates empty databases on the test server; all are dropped at the end of the session."""
    created: list[str] = []
    admin = _libpq(server_dsn)

    def make() -> str:
        name = f"fieldsales_test_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        created.append(name)
        return make_url(server_dsn).set(database=name).render_as_string(hide_password=False)

    yield make
    with psycopg.connect(admin, autocommit=True) as conn:
        for name in created:
            drop = sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)")
            conn.execute(drop.format(sql.Identifier(name)))


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

    app.dependency_overrides[get_session] = test_session
    return app


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app) as client:
        yield client
