"""Admin job listing: failed analyses with their photo, attempts and kept error."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlmodel import Session

from jobs.app import make_app
from jobs.photos import queue_analysis
from models.settings import Settings
from models.users import Role
from models.visits import PhotoStatus
from tests.factories.geo import create_outlet, create_territory
from tests.factories.users import create_user, sign_in
from tests.factories.visits import create_analysed_photo, create_visit

ERROR = "analysis failed: photo bytes missing from the store"


@pytest.fixture
def queue(session: Session, settings: Settings) -> dict[str, Any]:
    """Two photo jobs: one failed after three runs, one succeeded at once."""
    territory = create_territory(session)
    rep = create_user(session, role=Role.rep, territory_ids=[territory.id])
    visit = create_visit(session, rep=rep, outlet=create_outlet(session), at=datetime.now(UTC))
    broken, fine = (
        create_analysed_photo(session, visit=visit, widths=[], linear_px=1) for _ in "ab"
    )
    broken.status, broken.status_reason = PhotoStatus.failed, ERROR
    session.add(broken)
    jobs = make_app(settings)
    ids = {
        name: queue_analysis(jobs, session, p.id)
        for name, p in (("broken", broken), ("fine", fine))
    }
    for name, status, runs in (("broken", "failed", 3), ("fine", "succeeded", 1)):
        # Through 'doing', as a worker takes it: the queue's triggers record each change.
        for step in ("doing", status):
            session.execute(
                text(
                    "UPDATE procrastinate_jobs SET attempts = :runs,"
                    " status = CAST(:status AS procrastinate_job_status) WHERE id = :id"
                ),
                {"id": ids[name], "status": step, "runs": runs},
            )
    session.flush()
    return {"broken": broken, "fine": fine, "ids": ids}


@pytest.mark.parametrize(("role", "expected"), [(None, 401), (Role.manager, 403), (Role.rep, 403)])
def test_only_admins_see_the_queue(
    client: TestClient, session: Session, role: Role | None, expected: int
) -> None:
    headers = sign_in(client, create_user(session, role=role)) if role else {}

    response = client.get("/v1/admin/jobs", headers=headers)

    assert response.status_code == expected


def test_failed_jobs_show_photo_attempts_and_error(
    client: TestClient, session: Session, queue: dict[str, Any]
) -> None:
    admin = sign_in(client, create_user(session, role=Role.admin))

    failed = client.get("/v1/admin/jobs", params={"status": "failed"}, headers=admin).json()
    succeeded = client.get("/v1/admin/jobs", params={"status": "succeeded"}, headers=admin).json()

    assert [
        (j["id"], j["task"], j["photo_id"], j["attempts"], j["error"]) for j in failed["items"]
    ] == [
        (queue["ids"]["broken"], "fieldsales:analyse_photo", str(queue["broken"].id), 3,
         ERROR),
    ]  # fmt: skip
    assert [j["photo_id"] for j in succeeded["items"]] == [str(queue["fine"].id)]
    assert failed["items"][0]["updated_at"] is not None


def test_pages_follow_the_cursor(
    client: TestClient, session: Session, queue: dict[str, Any]
) -> None:
    admin = sign_in(client, create_user(session, role=Role.admin))
    session.execute(text("UPDATE procrastinate_jobs SET status = 'failed'"))

    first = client.get("/v1/admin/jobs", params={"limit": 1}, headers=admin).json()
    second = client.get(
        "/v1/admin/jobs", params={"limit": 1, "cursor": first["next_cursor"]}, headers=admin
    ).json()

    assert [j["photo_id"] for j in first["items"] + second["items"]] == [
        str(queue["fine"].id),
        str(queue["broken"].id),
    ]
    assert second["next_cursor"] is None
