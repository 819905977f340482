"""The gap by lever: what each lever closes, and actions that add up to it."""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from decimal import Decimal
from functools import partial
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from models.outlets import Channel, OutletClass, OutletStatus
from tests.factories.geo import create_outlet
from tests.factories.planning import (
    add_to_msl,
    create_audit,
    create_sale,
    create_target,
    noon,
)
from tests.planning.conftest import AS_OF, MONTH, PERIOD, Market, visit


@pytest.fixture
def shortfall(session: Session, market: Market) -> Market:
    """s1 is short of its target of 100 in R; s3 is past its target; s2 has none.

    November to the 15th: c1..c4 sold 20, 5, 2, 10 of s1 (37, so 74 a month), i.e. monthly
    rates 40, 10, 4, 20: median 10, upper quartile 20. d1 is covered, a convenience store,
    and lacks s1 (on the convenience must-stock list); d2 is a supermarket (not on its list);
    d3 is not covered. Prospect p1 has one lookalike, c1, which sold 30 in October (10 a
    month); p2 has none and gets the channel average: 30 / 3 months / 6 stores = 5/3.
    """
    s1, s3 = market.skus["s1"], market.skus["s3"]
    shop = partial(create_outlet, session, channel=Channel.convenience, outlet_class=OutletClass.B)
    c1 = shop(code="c1", lon=2.06, lat=48.05)
    c2 = shop(code="c2", lon=2.10, lat=48.45)
    c3 = shop(code="c3", lon=2.20, lat=48.45)
    c4 = shop(code="c4", lon=2.30, lat=48.45)
    d1 = shop(code="d1", lon=2.40, lat=48.45)
    d2 = create_outlet(session, code="d2", lon=2.15, lat=48.45, channel=Channel.supermarket)
    shop(code="d3", lon=2.25, lat=48.40)
    shop(code="p1", lon=2.05, lat=48.05, status=OutletStatus.prospect)
    create_outlet(
        session,
        code="p2",
        lon=2.45,
        lat=48.30,
        status=OutletStatus.prospect,
        channel=Channel.convenience,
        outlet_class=OutletClass.A,
    )
    b1 = create_outlet(session, code="b1", lon=2.60, lat=48.10, channel=Channel.horeca)
    for outlet, sold, facings in ((c1, 20, 6), (c2, 5, None), (c3, 2, 1), (c4, 10, 4)):
        create_sale(session, outlet, s1, date(2026, 11, 2), sold)
        if facings is not None:
            create_audit(
                session,
                visit(session, market.rep, outlet, noon(date(2026, 11, 3))),
                [(s1, True, facings)],
            )
    create_sale(session, c1, s1, date(2026, 10, 2), 30)
    create_sale(session, b1, s3, date(2026, 11, 2), 4)
    visit(session, market.rep, d1, noon(date(2026, 11, 5)))
    visit(session, market.rep, d2, noon(date(2026, 11, 5)))
    add_to_msl(session, Channel.convenience, s1, facings=3)
    create_target(session, market.territories["R"], s1, MONTH, quantity=100)
    create_target(session, market.territories["R"], s3, MONTH, quantity=1)
    return market


def gap(client: TestClient, market: Market, **params: Any) -> dict[str, Any]:
    query = {"territory_id": str(market.territories["R"].id), "period": PERIOD, "as_of": str(AS_OF)}
    response = client.get(
        "/v1/planning/gap", params={**query, **params}, headers=market.headers["planner"]
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def test_levers_of_the_sku_short_of_target(client: TestClient, shortfall: Market) -> None:
    (s1,) = gap(client, shortfall)["skus"]

    figures = {
        k: Decimal(s1[k])
        for k in (
            "target",
            "projected",
            "gap",
            "open_outlets",
            "distribution",
            "rate_of_sale",
            "levers_total",
            "remaining",
        )
    }
    assert (s1["sku_code"], s1["unit"]) == ("s1", "quantity")
    assert figures == {
        "target": Decimal(100),
        "projected": Decimal(74),
        "gap": Decimal(26),
        "open_outlets": Decimal("11.667"),  # p1 10 + p2 1.667
        "distribution": Decimal("18.5"),  # d1 at the convenience stores' mean rate
        "rate_of_sale": Decimal(6),  # c3 from 4 to the median 10
        "levers_total": Decimal("36.167"),
        "remaining": Decimal("-10.167"),
    }
    assert (
        Decimal(s1["median_rate"]),
        Decimal(s1["upper_quartile_rate"]),
        s1["top_quartile_facings"],
    ) == (Decimal(10), Decimal(20), 4)


def test_actions_are_ranked_and_explained(client: TestClient, shortfall: Market) -> None:
    actions = gap(client, shortfall)["actions"]

    assert [(a["rank"], a["outlet_code"], a["lever"], Decimal(a["effect"])) for a in actions] == [
        (1, "d1", "distribution", Decimal("18.5")),
        (2, "p1", "open_outlet", Decimal(10)),
        (3, "c3", "rate_of_sale", Decimal(6)),
        (4, "p2", "open_outlet", Decimal("1.667")),
    ]
    c3 = actions[2]
    assert (c3["facings"], c3["reference_facings"]) == (1, 4)
    assert "median is 10" in c3["explanation"]
    assert actions[0]["reference_facings"] == 3  # the must-stock list's plan


def test_all_pages_of_actions_sum_to_the_levers(client: TestClient, shortfall: Market) -> None:
    first = gap(client, shortfall, limit=3)
    second = gap(client, shortfall, limit=3, cursor=first["next_cursor"])

    sums: dict[str, Decimal] = defaultdict(Decimal)
    for action in first["actions"] + second["actions"]:
        sums[{"open_outlet": "open_outlets"}.get(action["lever"], action["lever"])] += Decimal(
            action["effect"]
        )
    (s1,) = first["skus"]
    assert (len(first["actions"]), len(second["actions"]), second["next_cursor"]) == (3, 1, None)
    assert dict(sums) == {
        k: Decimal(s1[k]) for k in ("open_outlets", "distribution", "rate_of_sale")
    }


def test_fewer_prospects_close_less(client: TestClient, shortfall: Market) -> None:
    (s1,) = gap(client, shortfall, prospects=1)["skus"]
    assert Decimal(s1["open_outlets"]) == Decimal(10)


def test_nothing_to_close_before_the_month_starts(client: TestClient, shortfall: Market) -> None:
    body = gap(client, shortfall, as_of="2026-10-20")
    assert (body["skus"], body["actions"]) == ([], [])
