"""Who sees what: every object endpoint × every role. Outside the scope is a 404, never data."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from models.territories import Territory
from models.users import Role
from tests.factories.geo import create_outlet, create_territory
from tests.factories.users import create_user, sign_in


@dataclass
class World:
    territories: dict[str, Territory]
    outlets: dict[str, str]  # territory code -> outlet id
    headers: dict[str, dict[str, str]]


@pytest.fixture
def world(client: TestClient, session: Session) -> World:
    """Two regions; the rep holds A, the manager region R1 (A and B); C lies in R2."""
    r1 = create_territory(session, code="R1", corner=(2.0, 48.0), size=1.0, level="region")
    r2 = create_territory(session, code="R2", corner=(4.0, 48.0), size=1.0, level="region")
    a = create_territory(session, code="A", parent=r1, corner=(2.0, 48.0), size=0.5)
    b = create_territory(session, code="B", parent=r1, corner=(2.5, 48.0), size=0.5)
    c = create_territory(session, code="C", parent=r2, corner=(4.0, 48.0), size=0.5)
    outlets = {
        code: str(create_outlet(session, lon=lon, lat=48.2).id)
        for code, lon in (("A", 2.2), ("B", 2.7), ("C", 4.2))
    }
    users = {
        "rep": create_user(session, role=Role.rep, territory_ids=[a.id]),
        "manager": create_user(session, role=Role.manager, territory_ids=[r1.id]),
        "planner": create_user(session, role=Role.planner),
        "admin": create_user(session, role=Role.admin),
    }
    headers = {role: sign_in(client, user) for role, user in users.items()}
    territories = {"R1": r1, "R2": r2, "A": a, "B": b, "C": c}
    return World(territories, outlets, headers)


VISIBLE = {
    "rep": {"A"},
    "manager": {"R1", "A", "B"},
    "planner": {"R1", "R2", "A", "B", "C"},
    "admin": {"R1", "R2", "A", "B", "C"},
}
ROLES = list(VISIBLE)


@pytest.mark.parametrize("role", ROLES)
def test_territory_reads(client: TestClient, world: World, role: str) -> None:
    headers = world.headers[role]

    listed = {t["code"] for t in client.get("/v1/territories", headers=headers).json()["items"]}
    statuses = {
        code: client.get(f"/v1/territories/{t.id}", headers=headers).status_code
        for code, t in world.territories.items()
    }

    assert listed == VISIBLE[role]
    assert statuses == {code: 200 if code in VISIBLE[role] else 404 for code in statuses}


@pytest.mark.parametrize("role", ROLES)
def test_outlet_reads(client: TestClient, world: World, role: str) -> None:
    headers = world.headers[role]
    expected = {code for code in world.outlets if code in VISIBLE[role]}

    listed = {o["id"] for o in client.get("/v1/outlets", headers=headers).json()["items"]}
    near = client.get("/v1/outlets?near=3,48.2", headers=headers).json()["items"]
    geojson = client.get("/v1/outlets?format=geojson", headers=headers).json()["features"]
    statuses = {
        code: client.get(f"/v1/outlets/{oid}", headers=headers).status_code
        for code, oid in world.outlets.items()
    }

    assert listed == {world.outlets[code] for code in expected}
    assert {o["id"] for o in near} == listed
    assert {f["id"] for f in geojson} == listed
    assert statuses == {code: 200 if code in expected else 404 for code in statuses}


@pytest.mark.parametrize("role", ROLES)
def test_outlet_writes_outside_scope_are_404_and_change_nothing(
    client: TestClient, world: World, role: str
) -> None:
    headers = world.headers[role]
    admin = world.headers["admin"]

    results = {
        code: client.patch(f"/v1/outlets/{oid}", json={"name": "Renamed"}, headers=headers)
        for code, oid in world.outlets.items()
    }

    for code, response in results.items():
        name = client.get(f"/v1/outlets/{world.outlets[code]}", headers=admin).json()["name"]
        if code in VISIBLE[role]:
            assert (response.status_code, name) == (200, "Renamed")
        else:
            assert (response.status_code, name) == (404, "Outlet")
            assert "Renamed" not in response.text


@pytest.mark.parametrize(("role", "status"), [("rep", 403), ("manager", 403), ("planner", 200)])
def test_territory_writes_need_an_editor_role(
    client: TestClient, world: World, role: str, status: int
) -> None:
    territory = world.territories["A"]

    response = client.patch(
        f"/v1/territories/{territory.id}", json={"name": "Renamed"}, headers=world.headers[role]
    )

    assert response.status_code == status
