"""Outlets over HTTP: filters, nearest first with distances, GeoJSON, scoped writes."""

from __future__ import annotations

import math
import random

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from models.outlets import Channel, OutletStatus
from models.users import Role
from tests.factories.geo import create_outlet, create_territory
from tests.factories.users import create_user, sign_in


def haversine_m(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    r = 6_371_008.8
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * r * math.asin(math.sqrt(a))


@pytest.fixture
def planner(client: TestClient, session: Session) -> dict[str, str]:
    return sign_in(client, create_user(session, role=Role.planner))


def test_near_answers_in_distance_order_with_true_distances(
    client: TestClient, session: Session, planner: dict[str, str]
) -> None:
    rng = random.Random(7)
    here = (2.35, 48.85)
    points = [
        (here[0] + rng.uniform(-0.2, 0.2), here[1] + rng.uniform(-0.2, 0.2)) for _ in range(40)
    ]
    for lon, lat in points:
        create_outlet(session, lon=lon, lat=lat)

    items = client.get("/v1/outlets?near=2.35,48.85&limit=500", headers=planner).json()["items"]

    expected = sorted(haversine_m(*here, lon, lat) for lon, lat in points)
    got = [item["distance_m"] for item in items]
    assert got == sorted(got)
    # ST_Distance is on the spheroid, haversine on a sphere: they agree within 0.5 %.
    assert all(abs(g - e) <= 0.005 * e + 0.01 for g, e in zip(got, expected, strict=True))


def test_near_with_radius_and_cursor_pages_without_gaps(
    client: TestClient, session: Session, planner: dict[str, str]
) -> None:
    for i in range(12):
        create_outlet(session, lon=2.35 + i * 0.001, lat=48.85)  # ~73 m apart
    create_outlet(session, lon=3.35, lat=48.85)  # ~73 km away

    seen: list[float] = []
    url = "/v1/outlets?near=2.35,48.85&radius_m=1000&limit=5"
    while url:
        page = client.get(url, headers=planner).json()
        seen += [item["distance_m"] for item in page["items"]]
        cursor = page["next_cursor"]
        url = f"/v1/outlets?near=2.35,48.85&radius_m=1000&limit=5&cursor={cursor}" if cursor else ""

    assert len(seen) == 12
    assert seen == sorted(seen)
    assert seen[-1] < 1000


@pytest.mark.parametrize(
    ("query", "detail"),
    [
        ("near=abc", "near must be lon,lat"),
        ("near=200,10", "outside WGS84"),
        ("radius_m=100", "radius_m needs near"),
        ("radius_m=-5&near=1,1", "greater than 0"),
    ],
)
def test_bad_near_queries_are_refused(
    client: TestClient, planner: dict[str, str], query: str, detail: str
) -> None:
    response = client.get(f"/v1/outlets?{query}", headers=planner)

    assert response.status_code == 422
    assert detail in response.text


def test_filters_by_territory_subtree_status_and_channel(
    client: TestClient, session: Session, planner: dict[str, str]
) -> None:
    region = create_territory(session, corner=(2.0, 48.0), size=1.0, level="region")
    leaf = create_territory(session, parent=region, corner=(2.0, 48.0), size=0.5)
    a = create_outlet(session, lon=2.1, lat=48.1, channel=Channel.horeca)
    create_outlet(session, lon=2.2, lat=48.2, status=OutletStatus.prospect)
    stray = create_outlet(session, lon=9.0, lat=9.0)

    def codes(query: str) -> set[str]:
        items = client.get(f"/v1/outlets?{query}", headers=planner).json()["items"]
        return {item["code"] for item in items}

    assert len(codes(f"territory_id={region.id}")) == 2
    assert codes(f"territory_id={leaf.id}&channel=horeca") == {a.code}
    assert codes("status=prospect&channel=horeca") == set()
    assert codes("unassigned=true") == {stray.code}


def test_geojson_feature_collection(
    client: TestClient, session: Session, planner: dict[str, str]
) -> None:
    outlet = create_outlet(session, lon=2.123456, lat=48.654321)

    by_param = client.get("/v1/outlets?format=geojson", headers=planner)
    by_accept = client.get("/v1/outlets", headers=planner | {"Accept": "application/geo+json"})

    assert by_param.headers["content-type"] == "application/geo+json"
    assert by_param.json() == by_accept.json()
    feature = by_param.json()["features"][0]
    assert feature["id"] == str(outlet.id)
    assert feature["geometry"] == {"type": "Point", "coordinates": [2.123456, 48.654321]}
    assert feature["properties"]["code"] == outlet.code


def test_create_then_patch_moves_the_outlet_between_territories(
    client: TestClient, session: Session, planner: dict[str, str]
) -> None:
    west = create_territory(session, corner=(2.0, 48.0), size=0.5)
    east = create_territory(session, corner=(2.5, 48.0), size=0.5)
    body = {
        "code": "SHOP-1",
        "name": "Corner shop",
        "channel": "traditional_trade",
        "outlet_class": "A",
        "location": {"lon": 2.1, "lat": 48.1},
        "attributes": {"opening_hours": "7-22"},
    }

    created = client.post("/v1/outlets", json=body, headers=planner)
    moved = client.patch(
        f"/v1/outlets/{created.json()['id']}",
        json={"location": {"lon": 2.7, "lat": 48.1}},
        headers=planner,
    )
    again = client.post("/v1/outlets", json=body, headers=planner)

    assert created.status_code == 201
    assert created.json()["territory_id"] == str(west.id)
    assert created.json()["attributes"] == {"opening_hours": "7-22"}
    assert moved.json()["territory_id"] == str(east.id)
    assert moved.json()["location"] == {"lon": 2.7, "lat": 48.1}
    assert again.status_code == 409


def test_rep_adds_prospects_inside_their_territory_only(
    client: TestClient, session: Session
) -> None:
    mine = create_territory(session, corner=(2.0, 48.0), size=0.5)
    create_territory(session, corner=(3.0, 48.0), size=0.5)
    rep = sign_in(client, create_user(session, role=Role.rep, territory_ids=[mine.id]))
    base = {"name": "New shop", "channel": "convenience", "status": "prospect"}

    inside = client.post(
        "/v1/outlets",
        json=base | {"code": "P1", "location": {"lon": 2.1, "lat": 48.1}},
        headers=rep,
    )
    outside = client.post(
        "/v1/outlets",
        json=base | {"code": "P2", "location": {"lon": 3.1, "lat": 48.1}},
        headers=rep,
    )
    active = client.post(
        "/v1/outlets",
        json=base | {"code": "P3", "status": "active", "location": {"lon": 2.1, "lat": 48.1}},
        headers=rep,
    )
    moved_out = client.patch(
        f"/v1/outlets/{inside.json()['id']}",
        json={"location": {"lon": 3.1, "lat": 48.1}},
        headers=rep,
    )

    assert inside.status_code == 201
    assert outside.status_code == 422
    assert active.status_code == 403
    assert moved_out.status_code == 422
    codes = {o["code"] for o in client.get("/v1/outlets", headers=rep).json()["items"]}
    assert codes == {"P1"}
