"""A small market for the console: one region of two territories, another region, photos, sales."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from api.console import web
from models.catalogue import Brand, Sku
from models.outlets import Channel, Outlet, OutletStatus
from models.territories import Territory
from models.users import Role, User
from models.visits import Photo
from tests.factories.catalogue import create_brand, create_sku
from tests.factories.geo import create_outlet, create_territory
from tests.factories.planning import create_sale, create_target
from tests.factories.users import PASSWORD, create_user
from tests.factories.visits import create_analysed_photo, create_visit

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


@dataclass
class Market:
    region: Territory
    north: Territory
    south: Territory
    elsewhere: Territory
    ours: Brand
    theirs: Brand
    sku: Sku
    outlets: dict[str, Outlet]
    photos: dict[str, Photo]
    users: dict[str, User]


def today() -> date:
    return datetime.now(UTC).date()


def at(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 10, tzinfo=UTC)


@pytest.fixture
def market(session: Session) -> Market:
    return market_in(session)


def market_in(session: Session) -> Market:
    """Region R holds N and S; X is another region's. Ours loses share in N this period."""
    region = create_territory(session, code="R", corner=(2.0, 48.0), size=1.0, level="region")
    north = create_territory(session, code="R-N", parent=region, corner=(2.0, 48.5), size=0.5)
    south = create_territory(session, code="R-S", parent=region, corner=(2.0, 48.0), size=0.5)
    elsewhere = create_territory(session, code="X", corner=(5.0, 45.0), size=0.5)
    ours, theirs = create_brand(session, name="Ours", own=True), create_brand(session, name="Rival")
    sku = create_sku(session, code="OURS-1", brand=ours)
    outlets = {
        "north": create_outlet(session, code="N-1", lon=2.1, lat=48.6),
        "south": create_outlet(session, code="S-1", lon=2.1, lat=48.1, channel=Channel.supermarket),
        "far": create_outlet(session, code="X-1", lon=5.1, lat=45.1),
        "prospect": create_outlet(
            session, code="N-P", lon=2.2, lat=48.7, status=OutletStatus.prospect
        ),
    }
    rep = create_user(session, username="rep-console", role=Role.rep, territory_ids=[north.id])
    day = today() - timedelta(days=2)
    photos = {}
    for name, shop, when, o, t in (
        ("north", "north", day, 200, 600),
        ("north-2", "north", day - timedelta(days=1), 300, 500),
        ("north-before", "north", day - timedelta(days=30), 700, 100),
        ("south", "south", day, 500, 300),
        ("far", "far", day, 900, 100),
    ):
        visit = create_visit(
            session,
            rep=rep,
            outlet=outlets[shop],
            at=at(when),
            ended_at=at(when) + timedelta(minutes=15),
        )
        photos[name] = create_analysed_photo(
            session,
            visit=visit,
            widths=[(ours, o), (theirs, t)],
            linear_px=1000,
            facings=[(sku, 3)],
        )
    for shop, quantity in (("north", 40), ("south", 25), ("far", 70)):
        create_sale(session, outlets[shop], sku, today(), quantity)
    create_target(session, region, sku, today().replace(day=1), quantity=900, value=1800)
    users = {
        "rep": rep,
        "manager": create_user(
            session, username="manager-console", role=Role.manager, territory_ids=[region.id]
        ),
        "planner": create_user(session, username="planner-console", role=Role.planner),
    }
    return Market(region, north, south, elsewhere, ours, theirs, sku, outlets, photos, users)


def csrf_of(html: str) -> str:
    found = CSRF.search(html)
    assert found, "the page has no CSRF field"
    return found.group(1)


def signed_in(client: TestClient, user: User) -> TestClient:
    """The session cookie the sign-in form would set, without paying for a password hash."""
    settings = client.app.state.settings  # type: ignore[attr-defined]
    cookie = web.serializer(settings).dumps(web.new_session(user.id))
    client.cookies.set(web.COOKIE, cookie, path="/console")
    return client


def login(client: TestClient, user: User) -> TestClient:
    """Sign in through the form, as a person would; the client then holds the session cookie."""
    form = client.get("/console/login")
    response = client.post(
        "/console/login",
        data={"username": user.username, "password": PASSWORD, "csrf_token": csrf_of(form.text)},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
    return client
