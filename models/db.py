"""Engine and sessions: one engine per process, one session (one transaction) per unit of work.

Beside them, the hottest request (a check-in) runs on the event loop through psycopg's async
pool: no worker-thread hop, no ORM. Its statements are still SQLAlchemy Core, compiled once to
SQL text (``Compiled``), so the same text also runs inside a session's transaction
(``session_one``: the batch sync, and the tests, whose requests share the test's transaction).
"""

from __future__ import annotations

import enum
import time
import weakref
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Protocol

from psycopg import AsyncConnection
from psycopg.rows import namedtuple_row
from psycopg_pool import AsyncConnectionPool
from sqlalchemy import Engine, create_engine
from sqlalchemy.dialects.postgresql import psycopg as psycopg_dialect
from sqlalchemy.sql import ClauseElement
from sqlmodel import Session

from models.settings import Settings

# The most connections one process opens; the API admits that many requests to the database
# at a time (api.deps.get_session), so a request that has begun never waits on the pool. All
# are kept open: an overflow connection, closed when returned, costs a server process each time.
POOL_SIZE, MAX_OVERFLOW = 20, 0
CONNECTIONS = POOL_SIZE + MAX_OVERFLOW
CONNECT_ARGS = {"connect_timeout": 5, "application_name": "fieldsales"}
# The async pool's connections, opened as the load needs them, beside the engine's. A request
# waits this long for one (in the event loop), then answers 503 with Retry-After: the database
# is down or every connection busy, and the phone is better told so than kept waiting.
ASYNC_POOL_MIN, ASYNC_POOL_MAX = 2, 10
ASYNC_POOL_WAIT_S = 10
IDLE_BEFORE_CHECK_S = 2.0


def make_engine(settings: Settings) -> Engine:
    return create_engine(
        settings.dsn(),
        pool_pre_ping=True,
        pool_size=POOL_SIZE,
        max_overflow=MAX_OVERFLOW,
        connect_args=CONNECT_ARGS,
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


def make_async_pool(settings: Settings) -> AsyncConnectionPool[AsyncConnection[Any]]:
    """psycopg's async pool, opened by the app's lifespan.

    Its connections autocommit: each statement is its own transaction, which is what the hot
    paths need (a read, then an idempotent insert). At READ COMMITTED a transaction around both
    would add two round trips and no guarantee.
    """
    idle = _IdleCheck()
    return AsyncConnectionPool(
        settings.libpq_dsn(),
        min_size=ASYNC_POOL_MIN,
        max_size=ASYNC_POOL_MAX,
        timeout=ASYNC_POOL_WAIT_S,
        open=False,
        check=idle.check,
        reset=idle.note_return,
        kwargs={**CONNECT_ARGS, "autocommit": True},
    )


class _IdleCheck:
    """Checks a connection (an empty query) as it is handed out, if it sat idle a while.

    One idle through a database restart is then replaced rather than failing a request. One
    returned a moment ago is in steady use, and a check would be a round trip more per request:
    if the database went away meanwhile, the request answers 503 and the phone retries.
    """

    def __init__(self) -> None:
        self.returned: weakref.WeakKeyDictionary[AsyncConnection[Any], float] = (
            weakref.WeakKeyDictionary()
        )

    async def note_return(self, connection: AsyncConnection[Any]) -> None:
        self.returned[connection] = time.monotonic()

    async def check(self, connection: AsyncConnection[Any]) -> None:
        if time.monotonic() - self.returned.get(connection, 0.0) > IDLE_BEFORE_CHECK_S:
            await AsyncConnectionPool.check_connection(connection)


DIALECT = psycopg_dialect.dialect()  # type: ignore[no-untyped-call]


def _plain(value: Any) -> Any:
    # SQLAlchemy's Enum type stores a member's name; do the same for the driver.
    return value.name if isinstance(value, enum.Enum) else value


@dataclass(frozen=True)
class Compiled:
    """A Core statement compiled once to psycopg's SQL, with the constants it binds itself."""

    sql: str
    constants: Mapping[str, Any]

    @classmethod
    def of(cls, statement: ClauseElement) -> Compiled:
        compiled = statement.compile(dialect=DIALECT)
        constants = {k: _plain(v) for k, v in compiled.params.items() if v is not None}
        return cls(str(compiled), constants)

    def params(self, values: Mapping[str, Any]) -> dict[str, Any]:
        return {**self.constants, **{k: _plain(v) for k, v in values.items()}}


class Rows(Protocol):
    """Runs a compiled statement and answers its first row (attributes named as its columns)."""

    async def one(self, statement: Compiled, values: Mapping[str, Any]) -> Any | None: ...


class PooledRows:
    """Statements on the async pool, each its own transaction on a connection taken for it.

    Waiting for a connection happens in the event loop; one that cannot be had within the
    pool's timeout raises PoolTimeout (a 503 at the API).
    """

    def __init__(self, pool: AsyncConnectionPool[AsyncConnection[Any]]) -> None:
        self.pool = pool

    async def one(self, statement: Compiled, values: Mapping[str, Any]) -> Any | None:
        async with self.pool.connection() as connection:
            cursor = connection.cursor(row_factory=namedtuple_row)
            await cursor.execute(statement.sql, statement.params(values))
            return await cursor.fetchone()


def session_one(session: Session, statement: Compiled, values: Mapping[str, Any]) -> Any | None:
    """The same statement inside a session's transaction, on its own connection."""
    connection = session.connection().connection.driver_connection
    assert connection is not None
    cursor = connection.cursor(row_factory=namedtuple_row)
    cursor.execute(statement.sql, statement.params(values))
    return cursor.fetchone()
