"""Offline batch sync: ordered, per-operation results, a bad operation fails alone, replays."""

from __future__ import annotations

import hashlib
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlmodel import Session, func, select

from models.users import Role
from models.visits import Order, Photo, Visit
from tests.factories.catalogue import create_sku, image_bytes
from tests.factories.geo import create_outlet, create_territory
from tests.factories.users import create_user, sign_in

JPEG = image_bytes("JPEG", (640, 480))
THREE_DAYS_AGO = datetime.now(UTC).replace(microsecond=0) - timedelta(days=3)


def _batch(outlet_id: uuid.UUID, sku_id: uuid.UUID) -> tuple[str, list[dict[str, Any]]]:
    visit_id = str(uuid.uuid4())
    started = THREE_DAYS_AGO
    return visit_id, [
        {
            "op": "check_in",
            "body": {
                "id": visit_id,
                "outlet_id": str(outlet_id),
                "started_at": started.isoformat(),
                "location": {"lat": 48.05, "lon": 2.05, "accuracy_m": 12},
            },
        },
        {
            "op": "order",
            "visit_id": visit_id,
            "body": {
                "id": str(uuid.uuid4()),
                "lines": [{"sku_id": str(sku_id), "quantity": "6", "price": "1.20"}],
            },
        },
        {"op": "order", "visit_id": visit_id, "body": {"id": "not-a-uuid", "lines": []}},
        {"op": "teleport"},
        {
            "op": "check_out",
            "visit_id": visit_id,
            "body": {"ended_at": (started + timedelta(minutes=18)).isoformat()},
        },
    ]


def test_late_batch_applies_in_order_and_replays_identically(
    client: TestClient, session: Session
) -> None:
    territory = create_territory(session)
    outlet = create_outlet(session)
    sku = create_sku(session)
    headers = sign_in(client, create_user(session, role=Role.rep, territory_ids=[territory.id]))
    visit_id, operations = _batch(outlet.id, sku.id)

    first = client.post("/v1/sync", json={"operations": operations}, headers=headers)
    replay = client.post("/v1/sync", json={"operations": operations}, headers=headers)

    assert first.status_code == 200
    results = first.json()["results"]
    assert [(r["index"], r["op"], r["status"]) for r in results] == [
        (0, "check_in", 201),
        (1, "order", 201),
        (2, "order", 422),
        (3, "teleport", 422),
        (4, "check_out", 200),
    ]
    assert results[2]["body"]["type"] == "urn:fieldsales:problem:validation-error"
    assert results[4]["body"]["duration_s"] == 18 * 60
    assert datetime.fromisoformat(results[0]["body"]["started_at"]) == THREE_DAYS_AGO
    again = replay.json()["results"]
    assert [r["status"] for r in again] == [200, 200, 422, 422, 200]
    # Replays answer the stored records; the check-in now shows the visit as closed.
    assert [again[i]["body"] for i in (1, 4)] == [results[i]["body"] for i in (1, 4)]
    assert again[0]["body"] == results[4]["body"]
    assert session.exec(select(func.count()).select_from(Visit)).one() == 1
    assert session.exec(select(func.count()).select_from(Order)).one() == 1
    assert session.get(Visit, uuid.UUID(visit_id)).ended_at is not None  # type: ignore[union-attr]


def test_an_operation_on_a_foreign_outlet_fails_alone(client: TestClient, session: Session) -> None:
    mine = create_territory(session)
    create_territory(session, corner=(5.0, 45.0))
    create_outlet(session)
    foreign = create_outlet(session, lon=5.05, lat=45.05)
    sku = create_sku(session)
    headers = sign_in(client, create_user(session, role=Role.rep, territory_ids=[mine.id]))
    _, operations = _batch(foreign.id, sku.id)

    results = client.post("/v1/sync", json={"operations": operations}, headers=headers).json()[
        "results"
    ]

    assert [r["status"] for r in results] == [404, 404, 422, 422, 404]
    assert session.exec(select(func.count()).select_from(Visit)).one() == 0


def test_gigantic_batches_are_refused(client: TestClient, session: Session) -> None:
    headers = sign_in(client, create_user(session, role=Role.rep))

    response = client.post(
        "/v1/sync", json={"operations": [{"op": "teleport"}] * 501}, headers=headers
    )

    assert response.status_code == 422


def test_photo_taken_offline_is_announced_then_filled_by_its_upload(
    client: TestClient, session: Session
) -> None:
    territory = create_territory(session)
    outlet = create_outlet(session)
    sku = create_sku(session)
    headers = sign_in(client, create_user(session, role=Role.rep, territory_ids=[territory.id]))
    visit_id, operations = _batch(outlet.id, sku.id)
    photo_id = str(uuid.uuid4())
    announced = {
        "id": photo_id,
        "taken_at": (THREE_DAYS_AGO + timedelta(minutes=5)).isoformat(),
        "size_bytes": len(JPEG),
        "sha256": hashlib.sha256(JPEG).hexdigest(),
        "content_type": "image/jpeg",
    }
    operations[2:4] = [
        {"op": "photo", "visit_id": visit_id, "body": announced},
        {"op": "photo", "visit_id": visit_id, "body": {**announced, "content_type": "text/html"}},
    ]

    first = client.post("/v1/sync", json={"operations": operations}, headers=headers)

    results = first.json()["results"]
    assert [(r["op"], r["status"]) for r in results] == [
        ("check_in", 201),
        ("order", 201),
        ("photo", 201),
        ("photo", 415),
        ("check_out", 200),
    ]
    reserved = results[2]["body"]
    assert reserved["photo"]["id"] == photo_id
    assert reserved["photo"]["status"] == "uploading"
    assert reserved["upload_url"] is None  # the local store cannot sign URLs
    assert reserved["upload_path"] == f"/v1/visits/{visit_id}/photos"
    assert _jobs(session) == 0

    # Back in network: the bytes go up like any photo, after the visit was checked out.
    upload = client.post(
        reserved["upload_path"],
        files={"file": ("shelf.jpg", JPEG, "image/jpeg")},
        data={"id": photo_id},
        headers=headers,
    )
    assert upload.status_code == 202
    assert upload.json()["id"] == photo_id
    assert upload.json()["status"] == "pending"
    assert upload.json()["width"] == 640
    assert _jobs(session) == 1

    replay = client.post("/v1/sync", json={"operations": operations}, headers=headers)
    again = replay.json()["results"][2]
    assert again["status"] == 200
    assert again["body"]["photo"]["status"] == "pending"
    assert again["body"]["upload_path"] is None
    # The same bytes once more: the photo already kept, not a second job.
    repeat = client.post(
        reserved["upload_path"], files={"file": ("s.jpg", JPEG, "image/jpeg")}, headers=headers
    )
    assert repeat.status_code == 200
    assert session.exec(select(func.count()).select_from(Photo)).one() == 1
    assert _jobs(session) == 1


def _jobs(session: Session) -> int:
    return int(session.execute(text("SELECT count(*) FROM procrastinate_jobs")).scalar_one())
