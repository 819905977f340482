"""Shelf share report: ratio of widths over photos, its interval, its change, its scope."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from models.outlets import Channel
from models.users import Role
from tests.factories.catalogue import create_brand, create_sku
from tests.factories.geo import create_outlet, create_territory
from tests.factories.users import create_user, sign_in
from tests.factories.visits import create_analysed_photo, create_visit

DAY = date(2026, 11, 16)


def at(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 10, tzinfo=UTC)


@pytest.fixture
def market(client: TestClient, session: Session) -> dict[str, Any]:
    region = create_territory(session, code="R", corner=(2.0, 48.0), size=1.0, level="region")
    north = create_territory(session, code="N", parent=region, corner=(2.0, 48.5), size=0.5)
    south = create_territory(session, code="S", parent=region, corner=(2.0, 48.0), size=0.5)
    elsewhere = create_territory(session, code="X", corner=(5.0, 45.0), size=0.5)
    ours, theirs = (
        create_brand(session, name="Ours", own=True),
        create_brand(session, name="Theirs"),
    )
    sku = create_sku(session, brand=ours)
    rep = create_user(session, role=Role.rep, territory_ids=[north.id])
    shops = {
        "north": create_outlet(session, lon=2.1, lat=48.6, channel=Channel.convenience),
        "south": create_outlet(session, lon=2.1, lat=48.1, channel=Channel.supermarket),
        "far": create_outlet(session, lon=5.1, lat=45.1),
    }
    photos = [  # (outlet, day, ours px, theirs px, shelf px)
        ("north", DAY, 300, 500, 1000),
        ("north", DAY + timedelta(days=2), 200, 600, 1000),
        ("north", DAY + timedelta(days=3), 400, 400, 800),
        ("south", DAY + timedelta(days=1), 500, 0, 1000),
        ("far", DAY, 900, 100, 1000),
        ("north", DAY - timedelta(days=5), 600, 200, 1000),  # the previous week
    ]
    for shop, day, o, t, total in photos:
        visit = create_visit(session, rep=rep, outlet=shops[shop], at=at(day))
        widths = [(b, w) for b, w in ((ours, o), (theirs, t)) if w]
        create_analysed_photo(
            session, visit=visit, widths=widths, linear_px=total, facings=[(sku, 3)]
        )
    manager = create_user(session, role=Role.manager, territory_ids=[region.id])
    return {
        "north": north,
        "south": south,
        "region": region,
        "elsewhere": elsewhere,
        "ours": ours,
        "manager": sign_in(client, manager),
        "rep": sign_in(client, rep),
        "planner": sign_in(client, create_user(session, role=Role.planner)),
    }


def report(client: TestClient, headers: dict[str, str], **params: Any) -> list[dict[str, Any]]:
    query = {"from": str(DAY), "to": str(DAY + timedelta(days=6))} | params
    response = client.get("/v1/reports/shelf-share", params=query, headers=headers)
    assert response.status_code == 200, response.text
    return list(response.json()["rows"])


def test_share_is_summed_width_over_summed_shelf(
    client: TestClient, market: dict[str, Any]
) -> None:
    rows = report(client, market["manager"], territory_id=str(market["north"].id))

    ours = next(r for r in rows if r["brand"] == "Ours")
    assert ours["share"] == pytest.approx((300 + 200 + 400) / (1000 + 1000 + 800), abs=1e-4)
    assert (ours["photos"], ours["outlets"], ours["facings"]) == (3, 1, 9)
    assert ours["share_low"] < ours["share"] < ours["share_high"]
    assert ours["previous_share"] == pytest.approx(0.6)
    assert ours["change_pp"] == pytest.approx(100 * (900 / 2800 - 0.6), abs=0.01)


def test_a_single_photo_has_the_widest_interval(client: TestClient, market: dict[str, Any]) -> None:
    rows = report(client, market["manager"], territory_id=str(market["south"].id))

    assert [(r["brand"], r["share"], r["share_low"], r["share_high"]) for r in rows] == [
        ("Ours", 0.5, 0.0, 1.0)
    ]


def test_grouping_by_channel(client: TestClient, market: dict[str, Any]) -> None:
    rows = report(client, market["manager"], group_by="channel", brand_id=str(market["ours"].id))

    assert {r["group"]: r["share"] for r in rows} == {
        "convenience": pytest.approx(900 / 2800, abs=1e-4),
        "supermarket": 0.5,
    }


def test_a_manager_sees_only_their_region(client: TestClient, market: dict[str, Any]) -> None:
    manager_groups = {r["group"] for r in report(client, market["manager"])}
    planner_groups = {r["group"] for r in report(client, market["planner"])}

    assert manager_groups == {str(market["north"].id), str(market["south"].id)}
    assert str(market["elsewhere"].id) in planner_groups


def test_reps_may_not_read_reports(client: TestClient, market: dict[str, Any]) -> None:
    assert client.get("/v1/reports/shelf-share", headers=market["rep"]).status_code == 403
    assert client.get("/v1/reports/shelf-share").status_code == 401


def test_csv_has_the_same_figures(client: TestClient, market: dict[str, Any]) -> None:
    response = client.get(
        "/v1/reports/shelf-share",
        params={"from": str(DAY), "to": str(DAY + timedelta(days=6)), "format": "csv"},
        headers=market["manager"],
    )

    lines = response.text.splitlines()
    assert response.headers["content-type"].startswith("text/csv")
    assert lines[0].startswith("group,group_label,brand_id,brand,own,share,")
    assert len(lines) == 1 + len(report(client, market["manager"]))
