"""Deferring jobs inside the caller's own transaction.

A job row written on the request's connection commits or rolls back with the data it is
about: an accepted photo is never left without its analysis job, and a rolled-back upload
never leaves a job behind (procrastinate's ``configure(connection=...)``).
"""

from __future__ import annotations

from typing import Any

import procrastinate
from sqlmodel import Session


def defer(
    app: procrastinate.App, session: Session, task: str, *, queue: str = "default", **args: Any
) -> int:
    """Queue ``task`` with ``args`` in the session's transaction; returns the job id."""
    connection = session.connection().connection.driver_connection
    job = app.configure_task(f"fieldsales:{task}", queue=queue, connection=connection)
    return int(job.defer(**args))
