"""The rep's day: due outlets from the journey plan, in a short tour, marked when visited."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from itertools import pairwise

import pytest
from fastapi.testclient import TestClient
from geoalchemy2 import WKTElement
from sqlmodel import Session

from models.outlets import Outlet, OutletClass
from models.routes import haversine_m, short_tour
from models.users import Role, User
from models.visits import Geofence, Visit
from tests.factories.geo import create_outlet, create_territory
from tests.factories.users import create_user, sign_in

DAY = date(2026, 11, 20)
NOON = datetime(2026, 11, 20, 12, tzinfo=UTC)


def visit(session: Session, rep: User, outlet: Outlet, at: datetime) -> None:
    session.add(
        Visit(
            id=uuid.uuid4(),
            rep_id=rep.id,
            outlet_id=outlet.id,
            started_at=at,
            location=WKTElement("POINT(2.05 48.05)", srid=4326),
            distance_m=0,
            geofence=Geofence.inside,
            trust_score=1,
            checkin_digest="x",
        )
    )
    session.flush()


@pytest.fixture
def rep(session: Session) -> User:
    territory = create_territory(session, corner=(2.0, 48.0), size=0.5)
    return create_user(session, role=Role.rep, territory_ids=[territory.id])


def test_due_outlets_by_class_interval(client: TestClient, session: Session, rep: User) -> None:
    a_due = create_outlet(session, code="A-DUE", lon=2.1, lat=48.1, outlet_class=OutletClass.A)
    b_recent = create_outlet(
        session, code="B-RECENT", lon=2.2, lat=48.1, outlet_class=OutletClass.B
    )
    c_today = create_outlet(session, code="C-TODAY", lon=2.3, lat=48.1, outlet_class=OutletClass.C)
    visit(session, rep, a_due, NOON - timedelta(days=8))
    visit(session, rep, b_recent, NOON - timedelta(days=3))
    visit(session, rep, c_today, NOON - timedelta(days=40))
    visit(session, rep, c_today, NOON)

    route = client.get(f"/v1/me/route?date={DAY}", headers=sign_in(client, rep)).json()

    stops = {stop["code"]: stop for stop in route["stops"]}
    assert set(stops) == {"A-DUE", "C-TODAY"}
    assert stops["A-DUE"]["overdue_days"] == 1
    assert stops["A-DUE"]["visited"] is False
    assert stops["C-TODAY"]["visited"] is True


def test_never_visited_outlets_are_spread_over_their_interval(
    client: TestClient, session: Session, rep: User
) -> None:
    outlets = [
        create_outlet(session, lon=2.1 + i * 0.01, lat=48.2, outlet_class=OutletClass.B)
        for i in range(6)
    ]
    headers = sign_in(client, rep)

    seen: dict[str, int] = {}
    for offset in range(14):
        day = DAY + timedelta(days=offset)
        for stop in client.get(f"/v1/me/route?date={day}", headers=headers).json()["stops"]:
            seen[stop["code"]] = seen.get(stop["code"], 0) + 1

    assert seen == {outlet.code: 1 for outlet in outlets}


def test_tour_starts_where_asked_and_follows_the_street(
    client: TestClient, session: Session, rep: User
) -> None:
    for i in (3, 0, 4, 1, 2):
        outlet = create_outlet(session, code=f"S{i}", lon=2.1 + i * 0.02, lat=48.3)
        visit(session, rep, outlet, NOON - timedelta(days=60))

    route = client.get(
        f"/v1/me/route?date={DAY}&start=2.08,48.3", headers=sign_in(client, rep)
    ).json()

    assert [stop["code"] for stop in route["stops"]] == ["S0", "S1", "S2", "S3", "S4"]
    assert route["total_m"] == pytest.approx(sum(stop["leg_m"] for stop in route["stops"]), abs=1)
    assert route["total_m"] == pytest.approx(haversine_m((2.08, 48.3), (2.18, 48.3)), rel=0.001)


def test_two_opt_removes_a_crossing() -> None:
    square = [(0.0, 0.0), (0.0, 1.0), (1.0, 0.0), (1.0, 1.0)]

    order = short_tour((-0.1, 0.0), square)

    path = [(-0.1, 0.0), *(square[i] for i in order)]
    length = sum(haversine_m(a, b) for a, b in pairwise(path))
    assert length == pytest.approx(
        haversine_m((-0.1, 0), (0, 0)) + 3 * haversine_m((0, 0), (0, 1)), rel=0.01
    )


def test_empty_scope_gives_an_empty_route(client: TestClient, session: Session) -> None:
    lonely = create_user(session, role=Role.rep)

    route = client.get("/v1/me/route", headers=sign_in(client, lonely)).json()

    assert route["stops"] == []
    assert route["total_m"] == 0
