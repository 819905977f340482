"""Engine and sessions: one engine per process, one session (one transaction) per unit of work."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Engine, create_engine
from sqlmodel import Session

from models.settings import Settings

# The most connections one process opens; the API admits that many requests to the database
# at a time (api.deps.get_session), so a request that has begun never waits on the pool. All
# are kept open: an overflow connection, closed when returned, costs a server process each time.
POOL_SIZE, MAX_OVERFLOW = 20, 0
CONNECTIONS = POOL_SIZE + MAX_OVERFLOW


def make_engine(settings: Settings) -> Engine:
    return create_engine(
        settings.dsn(),
        pool_pre_ping=True,
        pool_size=POOL_SIZE,
        max_overflow=MAX_OVERFLOW,
        connect_args={"connect_timeout": 5, "application_name": "fieldsales"},
    )


@contextmanager
def unit_of_work(engine: Engine) -> Iterator[Session]:
    """A session whose work commits once at the end, or rolls back entirely on error."""
    with Session(engine, expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
