"""Direct uploads to S3: presign, PUT to the signed URL over HTTP, complete, queued."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import httpx2 as httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlmodel import Session

from models.settings import Settings
from models.users import Role
from tests.factories.catalogue import S3_REGION, S3Server, image_bytes, moto_s3
from tests.factories.geo import create_outlet, create_territory
from tests.factories.users import create_user, sign_in

JPEG = image_bytes("JPEG", (640, 480))


@pytest.fixture(scope="module")
def s3() -> Iterator[S3Server]:
    with moto_s3() as server:
        yield server


@pytest.fixture
def settings(settings: Settings, s3: S3Server) -> Settings:
    return settings.model_copy(
        update={
            "photo_store": s3.store_url(),
            "s3_endpoint_url": s3.endpoint_url,
            "s3_region": S3_REGION,
        }
    )


@pytest.fixture
def visit(client: TestClient, session: Session) -> dict[str, Any]:
    territory = create_territory(session)
    outlet = create_outlet(session)
    headers = sign_in(client, create_user(session, role=Role.rep, territory_ids=[territory.id]))
    visit_id = str(uuid.uuid4())
    checkin = {
        "id": visit_id,
        "outlet_id": str(outlet.id),
        "started_at": datetime.now(UTC).isoformat(),
        "location": {"lat": 48.05, "lon": 2.05, "accuracy_m": 8},
    }
    assert client.post("/v1/visits", json=checkin, headers=headers).status_code == 201
    return {"id": visit_id, "headers": headers}


def presign(client: TestClient, visit: dict[str, Any], data: bytes, **extra: Any) -> Any:
    body = {
        "size_bytes": len(data),
        "sha256": hashlib.sha256(data).hexdigest(),
        "content_type": "image/jpeg",
    } | extra
    return client.post(
        f"/v1/visits/{visit['id']}/photos:presign", json=body, headers=visit["headers"]
    )


def jobs(session: Session) -> int:
    return int(session.execute(text("SELECT count(*) FROM procrastinate_jobs")).scalar_one())


def test_presigned_upload_end_to_end(
    client: TestClient, session: Session, visit: dict[str, Any]
) -> None:
    granted = presign(client, visit, JPEG)
    upload = granted.json()
    before_complete = jobs(session)

    put = httpx.put(upload["upload_url"], content=JPEG, headers=upload["upload_headers"])
    done = client.post(f"/v1/photos/{upload['photo']['id']}/complete", headers=visit["headers"])
    again = client.post(f"/v1/photos/{upload['photo']['id']}/complete", headers=visit["headers"])

    assert granted.status_code == 201
    assert upload["photo"]["status"] == "uploading"
    assert before_complete == 0
    assert put.status_code == 200
    assert done.status_code == 200
    assert (done.json()["status"], done.json()["width"]) == ("pending", 640)
    assert again.json() == done.json()
    assert jobs(session) == 1


def test_bytes_other_than_announced_are_refused_and_removed(
    client: TestClient, session: Session, visit: dict[str, Any]
) -> None:
    upload = presign(client, visit, JPEG).json()
    other = image_bytes("JPEG", (320, 240))
    httpx.put(upload["upload_url"], content=other, headers=upload["upload_headers"])
    photo_url = f"/v1/photos/{upload['photo']['id']}"

    refused = client.post(f"{photo_url}/complete", headers=visit["headers"])
    missing = client.post(f"{photo_url}/complete", headers=visit["headers"])

    assert refused.status_code == 422
    assert refused.json()["type"] == "urn:fieldsales:problem:upload-mismatch"
    assert missing.status_code == 409  # the wrong object was deleted: nothing there now
    assert client.get(photo_url, headers=visit["headers"]).json()["status"] == "uploading"
    assert jobs(session) == 0


def test_presign_refuses_what_it_would_refuse_on_upload(
    client: TestClient, visit: dict[str, Any], settings: Settings
) -> None:
    too_big = presign(client, visit, JPEG, size_bytes=settings.max_upload_bytes + 1)
    gif = presign(client, visit, JPEG, content_type="image/gif")

    assert (too_big.status_code, gif.status_code) == (413, 415)


def test_presign_twice_signs_the_same_photo_again(
    client: TestClient, visit: dict[str, Any]
) -> None:
    first = presign(client, visit, JPEG)
    second = presign(client, visit, JPEG)

    assert (first.status_code, second.status_code) == (201, 200)
    assert first.json()["photo"]["id"] == second.json()["photo"]["id"]
    assert second.json()["upload_url"]
