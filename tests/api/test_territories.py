"""Territories over HTTP: GeoJSON in and out, validation, hierarchy, outlet re-assignment."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from models.users import Role
from tests.factories.geo import create_outlet, create_territory, square
from tests.factories.users import create_user, sign_in

PREFIX = "urn:fieldsales:problem:"


@pytest.fixture
def admin(client: TestClient, session: Session) -> dict[str, str]:
    return sign_in(client, create_user(session, role=Role.admin))


def test_anonymous_and_rep_cannot_create(client: TestClient, session: Session) -> None:
    body = {"code": "X", "name": "X", "geometry": square(2, 48)}
    rep = sign_in(client, create_user(session, role=Role.rep))

    assert client.post("/v1/territories", json=body).status_code == 401
    forbidden = client.post("/v1/territories", json=body, headers=rep)
    assert forbidden.status_code == 403
    assert forbidden.json()["type"] == PREFIX + "forbidden"


def test_create_returns_geojson_and_takes_its_outlets(
    client: TestClient, session: Session, admin: dict[str, str]
) -> None:
    outlet = create_outlet(session, lon=2.05, lat=48.05)

    response = client.post(
        "/v1/territories",
        json={"code": "PARIS-1", "name": "Paris 1", "geometry": square(2.0, 48.0)},
        headers=admin,
    )
    outlet_view = client.get(f"/v1/outlets/{outlet.id}", headers=admin).json()

    assert response.status_code == 201
    body = response.json()
    assert body["geometry"]["type"] == "MultiPolygon"
    assert body["geometry"]["coordinates"][0][0][0] == [2.0, 48.0]
    assert body["overlaps"] == []
    assert outlet_view["territory_id"] == body["id"]


INVALID: list[tuple[str, dict[str, Any], str]] = [
    (
        "bow-tie",
        {"type": "Polygon", "coordinates": [[[0, 0], [1, 1], [1, 0], [0, 1], [0, 0]]]},
        "Self-intersection",
    ),
    (
        "ring not closed",
        {"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 1]]]},
        "validation-error",
    ),
    (
        "latitude out of range",
        {"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 95], [0, 0]]]},
        "out of range",
    ),
    ("not a polygon", {"type": "Point", "coordinates": [0, 0]}, "validation-error"),
    ("not GeoJSON", {"coordinates": "nope"}, "validation-error"),
]


@pytest.mark.parametrize(("case", "geometry", "expected"), INVALID, ids=[c[0] for c in INVALID])
def test_invalid_boundaries_are_refused_with_the_reason(
    client: TestClient, admin: dict[str, str], case: str, geometry: dict[str, Any], expected: str
) -> None:
    response = client.post(
        "/v1/territories", json={"code": "BAD", "name": "Bad", "geometry": geometry}, headers=admin
    )

    assert response.status_code == 422
    assert expected in response.text
    assert client.get("/v1/territories", headers=admin).json()["items"] == []


def test_overlapping_siblings_are_reported(
    client: TestClient, session: Session, admin: dict[str, str]
) -> None:
    region = create_territory(session, code="R", corner=(2, 48), size=1, level="region")
    create_territory(session, code="A", parent=region, corner=(2, 48), size=0.5)
    create_territory(session, code="B", parent=region, corner=(2.5, 48), size=0.5)  # touches A

    response = client.post(
        "/v1/territories",
        json={
            "code": "C",
            "name": "C",
            "parent_id": str(region.id),
            "geometry": square(2.25, 48.0, 0.5),
        },
        headers=admin,
    )

    assert response.json()["overlaps"] == ["A", "B"]


def test_duplicate_code_is_a_conflict(client: TestClient, admin: dict[str, str]) -> None:
    body = {"code": "DUP", "name": "Dup", "geometry": square(2, 48)}
    client.post("/v1/territories", json=body, headers=admin)

    response = client.post("/v1/territories", json=body, headers=admin)

    assert response.status_code == 409


def test_redrawing_a_boundary_moves_outlets(
    client: TestClient, session: Session, admin: dict[str, str]
) -> None:
    west = create_territory(session, code="W", corner=(2.0, 48.0), size=0.5)
    east = create_territory(session, code="E", corner=(2.5, 48.0), size=0.5)
    outlet = create_outlet(session, lon=2.45, lat=48.1)

    shrink = {"geometry": square(2.0, 48.0, 0.4)}
    grow = {
        "geometry": {
            "type": "Polygon",
            "coordinates": [[[2.4, 48], [3, 48], [3, 48.5], [2.4, 48.5], [2.4, 48]]],
        }
    }
    assert client.patch(f"/v1/territories/{west.id}", json=shrink, headers=admin).is_success
    assert client.patch(f"/v1/territories/{east.id}", json=grow, headers=admin).is_success

    assert client.get(f"/v1/outlets/{outlet.id}", headers=admin).json()["territory_id"] == str(
        east.id
    )


def test_a_territory_cannot_become_its_own_descendant(
    client: TestClient, session: Session, admin: dict[str, str]
) -> None:
    parent = create_territory(session, code="P", size=1, level="region")
    child = create_territory(session, code="K", parent=parent, size=0.5)

    response = client.patch(
        f"/v1/territories/{parent.id}", json={"parent_id": str(child.id)}, headers=admin
    )

    assert response.status_code == 422


def test_listing_pages_through_everything_once(
    client: TestClient, session: Session, admin: dict[str, str]
) -> None:
    codes = [f"T{i:02d}" for i in range(7)]
    for i, code in enumerate(codes):
        create_territory(session, code=code, corner=(float(i), 10.0), size=0.5)

    seen: list[str] = []
    url = "/v1/territories?limit=3"
    while True:
        page = client.get(url, headers=admin).json()
        seen += [item["code"] for item in page["items"]]
        if page["next_cursor"] is None:
            break
        url = f"/v1/territories?limit=3&cursor={page['next_cursor']}"

    assert seen == codes


def test_a_forged_cursor_is_refused(client: TestClient, admin: dict[str, str]) -> None:
    response = client.get("/v1/territories?cursor=bm90LWEtY3Vyc29y", headers=admin)

    assert response.status_code == 422
