"""Deferring jobs inside the caller's own transaction.

A job row written on the request's connection commits or rolls back with the data it is
about: an accepted photo is never left without its analysis job, and a rolled-back upload
never leaves a job behind.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import procrastinate
import psycopg
from sqlmodel import Session


class _ThisTransaction:
    """Stands in for procrastinate's connection pool, lending it the session's connection."""

    def __init__(self, connection: psycopg.Connection[Any]) -> None:
        self._connection = connection

    @contextmanager
    def connection(self) -> Iterator[psycopg.Connection[Any]]:
        yield self._connection  # no commit here: the unit of work commits


def defer(
    app: procrastinate.App, session: Session, task: str, *, queue: str = "default", **args: Any
) -> int:
    """Queue ``task`` with ``args`` in the session's transaction; returns the job id."""
    driver = session.connection().connection.driver_connection
    connector = procrastinate.SyncPsycopgConnector()
    connector.open(pool=_ThisTransaction(driver))  # type: ignore[arg-type]
    job = app.with_connector(connector).configure_task(f"fieldsales:{task}", queue=queue)
    return int(job.defer(**args))
