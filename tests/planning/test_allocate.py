"""Targets split down by potential, with largest-remainder rounding that keeps sums exact."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, col, select

from models.outlets import Outlet, OutletStatus
from models.planning.allocate import Measure, granularity
from models.planning.tables import OutletTarget
from tests.factories.geo import create_outlet
from tests.factories.planning import create_sale, create_target
from tests.planning.conftest import MONTH, PERIOD, Market


@pytest.mark.parametrize(
    ("amount", "measure", "units", "unit"),
    [
        (Decimal(0), "quantity", 0, Decimal(1)),
        (Decimal("1000.000"), "quantity", 1000, Decimal(1)),
        (Decimal("12.5"), "quantity", 125, Decimal("0.1")),
        (Decimal("100.001"), "quantity", 100001, Decimal("0.001")),
        (Decimal("333.33"), "value", 33333, Decimal("0.01")),
        (Decimal("1E+3"), "value", 1000, Decimal(1)),
    ],
)
def test_granularity_is_the_finest_digit_written(
    amount: Decimal, measure: Measure, units: int, unit: Decimal
) -> None:
    assert granularity(amount, measure) == (units, unit)


@pytest.fixture
def outlets(session: Session, market: Market) -> dict[str, Outlet]:
    """Three shops in A and four in B, each with one unit of s1 a month in the history."""
    s1 = market.skus["s1"]
    shops = {
        f"a{i}": create_outlet(session, code=f"a{i}", lon=2.1 + i / 10, lat=48.1) for i in range(3)
    }
    shops |= {
        f"b{i}": create_outlet(session, code=f"b{i}", lon=2.6 + i / 10, lat=48.1) for i in range(4)
    }
    for shop in shops.values():
        create_sale(session, shop, s1, date(2026, 9, 1), 3)
    return shops


def allocate(client: TestClient, market: Market, territory: str = "R") -> dict[str, Any]:
    body = {
        "territory_id": str(market.territories[territory].id),
        "sku_id": str(market.skus["s1"].id),
        "period": PERIOD,
    }
    response = client.post("/v1/planning/allocate", json=body, headers=market.headers["planner"])
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


Shares = dict[str, tuple[Decimal | None, Decimal | None]]


def outlet_targets(session: Session, market: Market) -> Shares:
    """Each outlet's (quantity, value) target for s1 in the month, by outlet code."""
    rows = session.exec(
        select(Outlet.code, col(OutletTarget.quantity), col(OutletTarget.value))
        .join(OutletTarget, col(OutletTarget.outlet_id) == Outlet.id)
        .where(col(OutletTarget.sku_id) == market.skus["s1"].id, col(OutletTarget.period) == MONTH)
    ).all()
    return {code: (q, v) for code, q, v in rows}


def quantities(shares: Shares, prefix: str = "") -> list[Decimal]:
    return sorted(q for code, (q, _) in shares.items() if code.startswith(prefix) and q is not None)


def values(shares: Shares) -> list[Decimal]:
    return sorted(v for _, v in shares.values() if v is not None)


def test_1000_over_3_and_4_shops(
    client: TestClient, session: Session, market: Market, outlets: dict[str, Outlet]
) -> None:
    """1000 × 3/7 = 428.57 and 1000 × 4/7 = 571.43: A takes the unit left (remainder .57 > .43).

    In B, 571 / 4 = 142.75: three shops get 143, one 142.
    """
    create_target(session, market.territories["R"], market.skus["s1"], MONTH, quantity=1000)

    result = allocate(client, market)
    shares = {
        s["code"]: (Decimal(s["quantity"]), s["outlets"], Decimal(s["outlet_quantity"]))
        for s in result["shares"]
    }
    by_outlet = outlet_targets(session, market)

    assert shares == {"A": (Decimal(429), 3, Decimal(429)), "B": (Decimal(571), 4, Decimal(571))}
    assert quantities(by_outlet, "a") == [Decimal(143)] * 3
    assert quantities(by_outlet, "b") == [Decimal(142)] + [Decimal(143)] * 3
    assert sum(quantities(by_outlet)) == 1000


def test_thousandths_and_value_split_together(
    client: TestClient, session: Session, market: Market, outlets: dict[str, Outlet]
) -> None:
    create_target(
        session,
        market.territories["R"],
        market.skus["s1"],
        MONTH,
        quantity=Decimal("100.001"),
        value=Decimal("0.05"),
    )

    result = allocate(client, market)
    by_outlet = outlet_targets(session, market)

    assert sum(Decimal(s["quantity"]) for s in result["shares"]) == Decimal("100.001")
    assert sum(Decimal(s["value"]) for s in result["shares"]) == Decimal("0.05")
    assert sum(quantities(by_outlet)) == Decimal("100.001")
    assert values(by_outlet) == [Decimal(0)] * 2 + [Decimal("0.01")] * 5


def test_potential_weighs_and_prospects_borrow_their_lookalikes(
    client: TestClient, session: Session, market: Market
) -> None:
    """A: x sold 9 (3 a month), y sold 3 (1 a month); p, a prospect next to x, borrows x's 3.

    In B, z has history but never sold s1: weight 0, so B gets nothing of s1's 70.
    """
    s1, s2 = market.skus["s1"], market.skus["s2"]
    x = create_outlet(session, code="x", lon=2.10, lat=48.10)
    y = create_outlet(session, code="y", lon=2.40, lat=48.40)
    create_outlet(session, code="p", lon=2.11, lat=48.10, status=OutletStatus.prospect)
    z = create_outlet(session, code="z", lon=2.60, lat=48.10)
    create_sale(session, x, s1, date(2026, 8, 5), 9)
    create_sale(session, y, s1, date(2026, 10, 5), 3)
    create_sale(session, z, s2, date(2026, 10, 5), 3)
    create_target(session, market.territories["R"], s1, MONTH, quantity=70)

    result = allocate(client, market)

    assert {s["code"]: Decimal(s["quantity"]) for s in result["shares"]} == {
        "A": Decimal(70),
        "B": Decimal(0),
    }
    assert outlet_targets(session, market) == {
        "x": (Decimal(30), None),
        "y": (Decimal(10), None),
        "p": (Decimal(30), None),
        "z": (Decimal(0), None),
    }


def test_no_potential_anywhere_splits_evenly(
    client: TestClient, session: Session, market: Market
) -> None:
    for code, lon in (("a", 2.1), ("b1", 2.6), ("b2", 2.7)):
        create_outlet(session, code=code, lon=lon, lat=48.1)
    create_target(session, market.territories["R"], market.skus["s1"], MONTH, quantity=10)

    result = allocate(client, market)

    assert {s["code"]: Decimal(s["quantity"]) for s in result["shares"]} == {
        "A": Decimal(3),
        "B": Decimal(7),
    }
    assert quantities(outlet_targets(session, market)) == [3, 3, 4]


def test_reallocation_replaces_and_drops_closed_outlets(
    client: TestClient, session: Session, market: Market, outlets: dict[str, Outlet]
) -> None:
    target = create_target(session, market.territories["R"], market.skus["s1"], MONTH, quantity=700)
    allocate(client, market)
    outlets["b0"].status = OutletStatus.closed
    session.add(outlets["b0"])
    target.quantity = Decimal(600)
    session.add(target)
    session.flush()

    allocate(client, market)
    by_outlet = outlet_targets(session, market)

    assert "b0" not in by_outlet
    assert set(by_outlet.values()) == {(Decimal(100), None)}


def test_a_territory_without_target_is_refused(client: TestClient, market: Market) -> None:
    body = {
        "territory_id": str(market.territories["R"].id),
        "sku_id": str(market.skus["s1"].id),
        "period": PERIOD,
    }
    response = client.post("/v1/planning/allocate", json=body, headers=market.headers["planner"])
    assert (response.status_code, response.json()["type"]) == (
        422,
        "urn:fieldsales:problem:validation-error",
    )
