"""Admin view of the job queue: failed analyses and other jobs, with attempts and errors."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from api.deps import Admin, SessionDep
from api.problems import problem_responses
from models import queue_jobs
from models.errors import Invalid
from models.pagination import MAX_LIMIT, Page, decode_cursor, paginate
from models.queue_jobs import JobPublic, JobStatus

router = APIRouter(prefix="/v1/admin", tags=["admin"])
Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT)]


def _after(cursor: str | None) -> int | None:
    """The job id a cursor says the last page ended at."""
    if cursor is None:
        return None
    job_id = decode_cursor(cursor, ("id",))["id"]
    if not isinstance(job_id, int):
        raise Invalid("The cursor is not one this endpoint issued.")
    return job_id


def _by_id(row: JobPublic) -> dict[str, Any]:
    return {"id": row.id}


@router.get("/jobs", response_model=Page[JobPublic], responses=problem_responses(401, 403, 422))
def list_jobs(
    _: Admin,
    session: SessionDep,
    status: JobStatus = JobStatus.failed,
    cursor: str | None = None,
    limit: Limit = 100,
) -> Page[JobPublic]:
    """Queued jobs in a status (failed by default), newest first, with attempts and last error."""
    items = queue_jobs.list_jobs(session, status=status, after=_after(cursor), limit=limit + 1)
    return paginate(items, limit, _by_id)
