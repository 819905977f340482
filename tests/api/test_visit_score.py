"""Reading a visit: its shelf result while photos are analysed, and its perfect-store score."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from models.outlets import Channel
from models.perfect_store import score_visits
from models.settings import Settings
from models.users import Role
from models.visits import Photo
from tests.factories.catalogue import create_brand, create_sku, image_bytes
from tests.factories.compliance import analyse
from tests.factories.geo import create_outlet, create_territory
from tests.factories.planning import add_to_msl
from tests.factories.users import create_user, sign_in

NOW = datetime.now(UTC).replace(microsecond=0)


@pytest.fixture
def world(client: TestClient, session: Session) -> dict[str, Any]:
    region = create_territory(session, code="R", size=1.0, level="region")
    territory = create_territory(session, parent=region)
    elsewhere = create_territory(session, corner=(5.0, 45.0))
    outlet = create_outlet(session)
    sku = create_sku(session, brand=create_brand(session, own=True))
    add_to_msl(session, Channel.convenience, sku, 2)
    rep = sign_in(client, create_user(session, role=Role.rep, territory_ids=[territory.id]))
    return {
        "sku": sku,
        "rep": rep,
        "outlet": outlet,
        "other rep": sign_in(client, create_user(session, territory_ids=[territory.id])),
        "manager": sign_in(
            client, create_user(session, role=Role.manager, territory_ids=[region.id])
        ),
        "foreign manager": sign_in(
            client, create_user(session, role=Role.manager, territory_ids=[elsewhere.id])
        ),
        "anonymous": {},
    }


def check_in(client: TestClient, world: dict[str, Any]) -> str:
    visit_id = str(uuid.uuid4())
    body = {
        "id": visit_id,
        "outlet_id": str(world["outlet"].id),
        "started_at": NOW.isoformat(),
        "location": {"lat": 48.05, "lon": 2.05, "accuracy_m": 8},
    }
    assert client.post("/v1/visits", json=body, headers=world["rep"]).status_code == 201
    return visit_id


def read(client: TestClient, world: dict[str, Any], visit_id: str) -> Any:
    response = client.get(f"/v1/visits/{visit_id}", headers=world["manager"])
    assert response.status_code == 200, response.text
    return response.json()


def audit(world: dict[str, Any]) -> dict[str, Any]:
    line = {"sku_id": str(world["sku"].id), "present": True, "facings": 2, "shelf_price": "1.99"}
    return {"id": str(uuid.uuid4()), "skus": [line]}


@pytest.mark.parametrize(
    ("caller", "status"),
    [
        ("anonymous", 401),
        ("other rep", 404),
        ("foreign manager", 404),
        ("manager", 200),
        ("rep", 200),
    ],
)
def test_who_may_read_a_visit(
    client: TestClient, world: dict[str, Any], caller: str, status: int
) -> None:
    visit_id = check_in(client, world)

    response = client.get(f"/v1/visits/{visit_id}", headers=world[caller])

    assert response.status_code == status
    assert (response.json().get("id") == visit_id) == (status == 200)


def test_shelf_is_partial_while_photos_wait_then_complete(
    client: TestClient, session: Session, settings: Settings, world: dict[str, Any]
) -> None:
    visit_id = check_in(client, world)
    before = read(client, world, visit_id)
    photo_ids = [
        client.post(
            f"/v1/visits/{visit_id}/photos",
            files={"file": ("shelf.jpg", image_bytes("JPEG", (640, 480), color), "image/jpeg")},
            headers=world["rep"],
        ).json()["id"]
        for color in ((10, 20, 30), (200, 100, 50))
    ]
    waiting = read(client, world, visit_id)
    first, second = (session.get(Photo, uuid.UUID(pid)) for pid in photo_ids)
    assert first is not None
    assert second is not None

    # What the analysis job does when a photo is done: store the results, rescore the visit.
    analyse(session, first, facings=[(world["sku"], 3)])
    score_visits(session, settings, [first.visit_id])
    half = read(client, world, visit_id)
    analyse(session, second, quality_ok=False)
    score_visits(session, settings, [second.visit_id])
    done = read(client, world, visit_id)

    assert (before["shelf"], before["perfect_store"]) == ("none", None)
    assert waiting["shelf"] == "partial"
    assert (half["shelf"], half["perfect_store"]["shelf"]) == ("partial", "partial")
    assert (done["shelf"], done["perfect_store"]["shelf"]) == ("complete", "complete")
    assert done["perfect_store"]["score"] == pytest.approx((0.4 + 0.3) / 1.0)


def test_an_audit_scores_its_visit_through_the_api_and_through_sync(
    client: TestClient, world: dict[str, Any]
) -> None:
    direct, synced = check_in(client, world), check_in(client, world)
    posted = client.post(f"/v1/visits/{direct}/audits", json=audit(world), headers=world["rep"])
    batch = {"operations": [{"op": "audit", "visit_id": synced, "body": audit(world)}]}
    results = client.post("/v1/sync", json=batch, headers=world["rep"]).json()["results"]

    scores = [read(client, world, visit_id)["perfect_store"] for visit_id in (direct, synced)]

    assert (posted.status_code, [r["status"] for r in results]) == (201, [201])
    for score in scores:
        parts = {k: score[k] for k in ("msl", "facings", "display", "price_tag")}
        assert parts == {"msl": 1.0, "facings": 1.0, "display": 0.0, "price_tag": 1.0}
        assert score["score"] == pytest.approx(0.4 + 0.3 + 0.15)
        assert score["weights"] == {"msl": 0.4, "facings": 0.3, "display": 0.15, "price_tag": 0.15}
