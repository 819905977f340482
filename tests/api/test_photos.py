"""Photos from the phone: stored once, queued with the same commit, refused cleanly."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlmodel import Session, func, select

from models.settings import Settings
from models.users import Role
from models.visits import Photo
from tests.factories.catalogue import image_bytes, png_header
from tests.factories.geo import create_outlet, create_territory
from tests.factories.users import create_user, sign_in

NOW = datetime.now(UTC).replace(microsecond=0)
JPEG = image_bytes("JPEG", (800, 600))


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"max_upload_bytes": 200_000})


@pytest.fixture
def visit(client: TestClient, session: Session) -> dict[str, Any]:
    territory = create_territory(session)
    outlet = create_outlet(session)
    rep = create_user(session, role=Role.rep, territory_ids=[territory.id])
    headers = sign_in(client, rep)
    visit_id = str(uuid.uuid4())
    checkin = {
        "id": visit_id,
        "outlet_id": str(outlet.id),
        "started_at": NOW.isoformat(),
        "location": {"lat": 48.05, "lon": 2.05, "accuracy_m": 8},
    }
    assert client.post("/v1/visits", json=checkin, headers=headers).status_code == 201
    return {"id": visit_id, "headers": headers, "url": f"/v1/visits/{visit_id}/photos"}


def upload(client: TestClient, visit: dict[str, Any], data: bytes, **form: str) -> Any:
    return client.post(
        visit["url"],
        files={"file": ("shelf.jpg", data, "image/jpeg")},
        data=form,
        headers=visit["headers"],
    )


def stored(settings: Settings) -> list[Path]:
    root = Path(settings.photo_store_url)
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def queued(session: Session) -> list[dict[str, Any]]:
    rows = session.execute(
        text("SELECT task_name, queue_name, args FROM procrastinate_jobs ORDER BY id")
    ).all()
    return [dict(row._mapping) for row in rows]


def test_upload_is_stored_and_queued_in_one_commit(
    client: TestClient, session: Session, settings: Settings, visit: dict[str, Any]
) -> None:
    response = upload(client, visit, JPEG, kind="display", taken_at=NOW.isoformat())

    assert response.status_code == 202
    photo = response.json()
    assert (photo["status"], photo["kind"], photo["width"], photo["height"]) == (
        "pending",
        "display",
        800,
        600,
    )
    assert [p.read_bytes() for p in stored(settings)] == [JPEG]
    assert queued(session) == [
        {
            "task_name": "fieldsales:analyse_photo",
            "queue_name": "photos",
            "args": {"photo_id": photo["id"]},
        }
    ]
    assert client.get(f"/v1/photos/{photo['id']}", headers=visit["headers"]).json() == photo


def test_the_same_bytes_twice_are_one_photo(
    client: TestClient, session: Session, settings: Settings, visit: dict[str, Any]
) -> None:
    first = upload(client, visit, JPEG)
    again = upload(client, visit, JPEG, id=str(uuid.uuid4()))

    assert (first.status_code, again.status_code) == (202, 200)
    assert again.json()["id"] == first.json()["id"]
    assert len(stored(settings)) == 1
    assert len(queued(session)) == 1


REFUSED = [
    ("over the size limit", b"\xff" * 200_001, 413, "payload-too-large"),
    ("not an image", b"%PDF-1.7 pretending", 415, "not-an-image"),
    ("a GIF", image_bytes("GIF"), 415, "not-an-image"),
    ("truncated", JPEG[: len(JPEG) // 2], 422, "truncated-image"),
    ("decompression bomb", png_header(30_000, 30_000), 422, "image-too-large"),
]


@pytest.mark.parametrize(("case", "data", "status", "kind"), REFUSED, ids=[r[0] for r in REFUSED])
def test_refused_photos_leave_no_file_no_row_no_job(
    client: TestClient,
    session: Session,
    settings: Settings,
    visit: dict[str, Any],
    case: str,
    data: bytes,
    status: int,
    kind: str,
) -> None:
    response = upload(client, visit, data)

    assert response.status_code == status
    assert response.json()["type"] == f"urn:fieldsales:problem:{kind}"
    assert stored(settings) == []
    assert session.exec(select(func.count()).select_from(Photo)).one() == 0
    assert queued(session) == []


def test_a_closed_visit_takes_only_photos_taken_during_it(
    client: TestClient, session: Session, visit: dict[str, Any]
) -> None:
    ended = NOW + timedelta(minutes=20)
    client.post(
        f"/v1/visits/{visit['id']}/checkout",
        json={"ended_at": ended.isoformat()},
        headers=visit["headers"],
    )

    during = upload(client, visit, JPEG, taken_at=(ended - timedelta(minutes=5)).isoformat())
    after = upload(
        client,
        visit,
        image_bytes("JPEG", (640, 480)),
        taken_at=(ended + timedelta(hours=1)).isoformat(),
    )

    assert (during.status_code, after.status_code) == (202, 409)


def test_another_reps_visit_and_photo_do_not_exist(
    client: TestClient, session: Session, visit: dict[str, Any]
) -> None:
    photo = upload(client, visit, JPEG).json()
    stranger = {**visit, "headers": sign_in(client, create_user(session, role=Role.rep))}

    assert upload(client, stranger, JPEG).status_code == 404
    assert client.get(f"/v1/photos/{photo['id']}", headers=stranger["headers"]).status_code == 404


def test_presign_needs_an_s3_store(client: TestClient, visit: dict[str, Any]) -> None:
    response = client.post(
        f"/v1/visits/{visit['id']}/photos:presign",
        json={"size_bytes": 10, "sha256": "0" * 64, "content_type": "image/jpeg"},
        headers=visit["headers"],
    )

    assert response.status_code == 409
    assert response.json()["type"] == "urn:fieldsales:problem:not-supported"
