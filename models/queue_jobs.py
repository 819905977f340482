"""The job queue as admins see it: what failed, how often it was tried, and why.

Jobs live in procrastinate's own tables; a photo analysis keeps its error on the photo
(``status_reason``), so the listing joins it back for the photo jobs.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, Field
from sqlalchemy import text
from sqlmodel import Session


class JobStatus(StrEnum):
    todo = "todo"
    doing = "doing"
    succeeded = "succeeded"
    failed = "failed"
    cancelled = "cancelled"
    aborted = "aborted"


class JobPublic(BaseModel):
    id: int
    task: str = Field(description="The task's name, e.g. fieldsales:analyse_photo.")
    queue: str
    status: JobStatus
    attempts: int = Field(description="Times the job was tried.")
    photo_id: uuid.UUID | None = Field(description="The photo the job is about, if any.")
    error: str | None = Field(description="The last error kept for it (the photo's reason).")
    updated_at: datetime | None = Field(description="When the job last changed status.")


# Newest first; the cursor is the last id served. procrastinate counts finished runs: a job
# running now is on one more. A photo job's error is kept on its photo.
LIST = text("""
SELECT j.id, j.task_name AS task, j.queue_name AS queue, j.status::text AS status,
       j.attempts + CASE WHEN j.status::text = 'doing' THEN 1 ELSE 0 END AS attempts,
       p.id AS photo_id, p.status_reason AS error,
       (SELECT max(e.at) FROM procrastinate_events AS e WHERE e.job_id = j.id) AS updated_at
FROM procrastinate_jobs AS j
LEFT JOIN photo AS p ON p.id = (j.args ->> 'photo_id')::uuid
WHERE j.status::text = :status AND (CAST(:after AS bigint) IS NULL OR j.id < :after)
ORDER BY j.id DESC
LIMIT :limit
""")


def list_jobs(
    session: Session, *, status: JobStatus, after: int | None, limit: int
) -> list[JobPublic]:
    """Jobs in ``status``, newest first, after the cursor's job id."""
    rows = session.execute(LIST, {"status": status.value, "after": after, "limit": limit})
    return [JobPublic.model_validate(dict(row._mapping)) for row in rows]
