"""What routes depend on: settings, the request's unit of work, the caller."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Callable
from typing import Annotated, Any

import procrastinate
from fastapi import Depends, Request
from fastapi.concurrency import contextmanager_in_threadpool
from fastapi.security import OAuth2PasswordBearer
from psycopg import AsyncConnection
from psycopg_pool import AsyncConnectionPool
from sqlalchemy import Engine
from sqlmodel import Session

from api import tokens
from models.db import PooledRows, Rows, unit_of_work
from models.errors import Forbidden, Unauthorized, Unavailable
from models.settings import Settings
from models.storage import PhotoStore
from models.users import Role, User, active_user

oauth2 = OAuth2PasswordBearer(tokenUrl="/v1/auth/token", auto_error=False)
SLOT_WAIT_S = 30
RETRY_AFTER_S = 5

# The app-state lookups are coroutines: FastAPI runs a plain def dependency in a worker thread,
# and a thread hop per lookup would cost more than the lookup.


async def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


async def get_engine(request: Request) -> Engine:
    engine: Engine = request.app.state.engine
    return engine


async def get_store(request: Request) -> PhotoStore:
    store: PhotoStore = request.app.state.photo_store
    return store


async def get_jobs(request: Request) -> procrastinate.App:
    jobs: procrastinate.App = request.app.state.jobs
    return jobs


async def get_session(
    request: Request, engine: Annotated[Engine, Depends(get_engine)]
) -> AsyncIterator[Session]:
    """The request's one transaction, committed after the handler returns, before responding.

    A request first takes one of the process's database slots, as many as the pool has
    connections, waiting in the event loop rather than in a worker thread. Without that, a
    crowd of requests could hold every connection while waiting for a thread, and every thread
    while waiting for a connection, until the pool timed out.
    """
    slots: asyncio.Semaphore = request.app.state.db_slots
    try:
        async with asyncio.timeout(SLOT_WAIT_S):
            await slots.acquire()
    except TimeoutError:
        raise Unavailable(
            "The server is busy; try again shortly.",
            headers={"Retry-After": str(RETRY_AFTER_S)},
        ) from None
    try:
        async with contextmanager_in_threadpool(unit_of_work(engine)) as session:
            yield session
    finally:
        slots.release()


SettingsDep = Annotated[Settings, Depends(get_settings)]
StoreDep = Annotated[PhotoStore, Depends(get_store)]
JobsDep = Annotated[procrastinate.App, Depends(get_jobs)]
# scope="function": the commit happens before the response is sent, so a client never sees
# a success for work that then fails to commit.
SessionDep = Annotated[Session, Depends(get_session, scope="function")]


async def get_rows(request: Request) -> Rows:
    """The async pool, for a route that runs on the event loop."""
    pool: AsyncConnectionPool[AsyncConnection[Any]] = request.app.state.async_pool
    return PooledRows(pool)


RowsDep = Annotated[Rows, Depends(get_rows)]


async def token_subject(
    settings: SettingsDep, token: Annotated[str | None, Depends(oauth2)]
) -> uuid.UUID:
    """The user id the bearer token names; whether the account is still active is for the
    route's first query to say."""
    if not token:
        raise Unauthorized(
            "Sign in first: send a bearer token.", headers={"WWW-Authenticate": "Bearer"}
        )
    return tokens.subject(settings, token, "access")


Caller = Annotated[uuid.UUID, Depends(token_subject)]


def current_user(session: SessionDep, user_id: Caller) -> User:
    return active_user(session, user_id)


CurrentUser = Annotated[User, Depends(current_user)]


def require(*roles: Role) -> Callable[[User], User]:
    """A dependency admitting only these roles; others get a 403 without any object data."""

    def check(user: CurrentUser) -> User:
        if user.role not in roles:
            raise Forbidden(f"This needs one of the roles: {', '.join(r.value for r in roles)}.")
        return user

    return check


# Master data is written by admins and planners; everyone signed in reads within scope.
Editor = Annotated[User, Depends(require(Role.admin, Role.planner))]
Admin = Annotated[User, Depends(require(Role.admin))]
