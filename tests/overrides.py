"""Requests on the test's session: every route's database work inside the test's transaction."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any

from fastapi import FastAPI
from fastapi.concurrency import run_in_threadpool
from sqlmodel import Session

from api.deps import SessionDep, get_rows, get_session
from models.db import Compiled, Rows, session_one


class SessionRows:
    """The async pool's statements run on the test's session instead, in a worker thread."""

    def __init__(self, session: Session) -> None:
        self.session = session

    async def one(self, statement: Compiled, values: Mapping[str, Any]) -> Any | None:
        return await run_in_threadpool(session_one, self.session, statement, values)


async def _session_rows(session: SessionDep) -> Rows:
    return SessionRows(session)


def on_session(app: FastAPI, request_session: Callable[[], Iterator[Session]]) -> None:
    """Give each request ``request_session`` (typically a savepoint of the test's session), for
    the routes on the engine and for those on the async pool alike."""
    app.dependency_overrides[get_session] = request_session
    app.dependency_overrides[get_rows] = _session_rows
