"""Prospects ranked by expected uplift, each row carrying the evidence that ranks it."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from functools import partial
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from models.outlets import Channel, OutletClass, OutletStatus
from models.routes import haversine_m
from tests.factories.geo import create_outlet
from tests.factories.planning import create_sale, noon
from tests.planning.conftest import AS_OF, Market, visit

PROSPECT = OutletStatus.prospect
CONVENIENCE, SUPERMARKET = Channel.convenience, Channel.supermarket


@pytest.fixture
def prospects(session: Session, market: Market) -> Market:
    """p1 has two lookalikes in reach; p2 none (channel average); p3 nothing to go on.

    History is August to October (three months before November): l1 sold 90 of s1 (value
    180) -> 30 (60) a month; l2 sold 30 of s1 (60) and 15 of s2 (45) -> 10 (20) and 5 (15).
    m1, the only other supermarket, sold 150 of s1 (300) -> 50 (100) a month; m2 sold nothing.
    """
    s1, s2 = market.skus["s1"], market.skus["s2"]
    shop = partial(create_outlet, session, channel=CONVENIENCE, outlet_class=OutletClass.B)
    shop(code="p1", lon=2.10, lat=48.10, status=PROSPECT)
    create_outlet(
        session,
        code="p2",
        lon=2.80,
        lat=48.10,
        status=PROSPECT,
        channel=SUPERMARKET,
        outlet_class=OutletClass.A,
    )
    create_outlet(session, code="p3", lon=2.40, lat=48.40, status=PROSPECT, channel=Channel.horeca)
    l1 = shop(code="l1", lon=2.11, lat=48.10)
    l2 = shop(code="l2", lon=2.10, lat=48.12)
    create_outlet(
        session,
        code="not-same-class",
        lon=2.101,
        lat=48.10,
        channel=CONVENIENCE,
        outlet_class=OutletClass.A,
    )
    bar = create_outlet(
        session,
        code="not-same-channel",
        lon=2.12,
        lat=48.11,
        channel=Channel.horeca,
        outlet_class=OutletClass.B,
    )
    shop(code="too-far", lon=2.30, lat=48.10)
    m1 = create_outlet(session, code="m1", lon=2.90, lat=48.45, channel=SUPERMARKET)
    create_outlet(
        session, code="m2", lon=2.60, lat=48.40, channel=SUPERMARKET, outlet_class=OutletClass.C
    )
    create_sale(session, l1, s1, date(2026, 9, 10), 90, 180)
    create_sale(session, l2, s1, date(2026, 10, 10), 30, 60)
    create_sale(session, l2, s2, date(2026, 8, 10), 15, 45)
    create_sale(session, m1, s1, date(2026, 10, 1), 150, 300)
    create_sale(session, l1, s1, date(2026, 7, 31), 1000, 1000)  # before the history months
    for served in (l1, bar, m1):
        visit(session, market.rep, served, noon(date(2026, 10, 20)))
    return market


def ranked(
    client: TestClient, market: Market, role: str = "planner", **params: Any
) -> list[dict[str, Any]]:
    query = {"territory_id": str(market.territories["R"].id), "as_of": str(AS_OF), **params}
    response = client.get("/v1/planning/opportunities", params=query, headers=market.headers[role])
    assert response.status_code == 200, response.text
    body: list[dict[str, Any]] = response.json()
    return body


def test_ranked_by_expected_value_when_serving_costs_nothing(
    client: TestClient, prospects: Market
) -> None:
    rows = ranked(client, prospects)

    summary = [
        (r["code"], r["basis"], Decimal(r["expected_value"]), Decimal(r["expected_skus"]))
        for r in rows
    ]
    assert summary == [
        ("p2", "channel_average", Decimal(50), Decimal("0.5")),
        ("p1", "lookalikes", Decimal("47.5"), Decimal("1.5")),
        ("p3", "none", Decimal(0), Decimal(0)),
    ]
    assert [r["rank"] for r in rows] == [1, 2, 3]


def test_a_row_explains_itself(client: TestClient, prospects: Market) -> None:
    p1 = next(r for r in ranked(client, prospects) if r["code"] == "p1")

    lookalikes = [(x["code"], Decimal(x["monthly_value"]), x["skus"]) for x in p1["lookalikes"]]
    assert lookalikes == [("l1", Decimal(60), 1), ("l2", Decimal(35), 2)]
    assert p1["lookalikes"][0]["distance_m"] == pytest.approx(
        haversine_m((2.10, 48.10), (2.11, 48.10)), rel=0.01
    )
    assert Decimal(p1["expected_quantity"]) == Decimal("22.5")
    assert Decimal(p1["expected_ros_value"]) == Decimal("31.67")
    assert p1["nearest_covered_m"] == pytest.approx(p1["lookalikes"][0]["distance_m"], rel=0.001)
    assert p1["covered_nearby"] == 2  # l1 and the bar
    assert "average of 2 lookalike(s)" in p1["explanation"]


def test_the_cost_to_serve_reorders_remote_prospects(client: TestClient, prospects: Market) -> None:
    rows = ranked(client, prospects, cost_per_km="1")

    assert [r["code"] for r in rows] == ["p1", "p2", "p3"]
    p2 = rows[1]
    assert Decimal(p2["uplift"]) == Decimal(p2["expected_value"]) - Decimal(p2["serve_cost"])
    assert float(p2["serve_cost"]) == pytest.approx(
        haversine_m((2.80, 48.10), (2.90, 48.45)) / 1000, rel=0.01
    )


def test_limit_keeps_the_best(client: TestClient, prospects: Market) -> None:
    assert [r["code"] for r in ranked(client, prospects, limit=1)] == ["p2"]


def test_lookalikes_come_from_the_callers_territories_only(
    client: TestClient, session: Session, prospects: Market
) -> None:
    """An R2 supermarket is p2's nearest lookalike for a planner; R's manager never sees it."""
    foreign = create_outlet(
        session, code="in-R2", lon=4.05, lat=48.10, channel=SUPERMARKET, outlet_class=OutletClass.A
    )
    create_sale(session, foreign, prospects.skus["s1"], date(2026, 10, 5), 3, 6)

    planner = next(r for r in ranked(client, prospects, radius_m=100_000) if r["code"] == "p2")
    manager = next(
        r for r in ranked(client, prospects, "manager", radius_m=100_000) if r["code"] == "p2"
    )

    assert [x["code"] for x in planner["lookalikes"]] == ["in-R2"]
    assert (manager["basis"], manager["lookalikes"]) == ("channel_average", [])
