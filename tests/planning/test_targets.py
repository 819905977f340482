"""Targets set in bulk: inserted, replaced, refused whole when any row is wrong."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, col, select

from models.sales import Target
from tests.planning.conftest import MONTH, PERIOD, Market


def put(client: TestClient, market: Market, *targets: dict[str, Any]) -> Any:
    return client.put(
        "/v1/planning/targets", json={"targets": list(targets)}, headers=market.headers["planner"]
    )


def row(market: Market, territory: str = "A", sku: str = "s1", **figures: Any) -> dict[str, Any]:
    return {
        "territory_id": str(market.territories[territory].id),
        "sku_id": str(market.skus[sku].id),
        "period": PERIOD,
        **figures,
    }


def stored(
    session: Session, market: Market
) -> dict[tuple[str, str], tuple[Decimal | None, Decimal | None]]:
    codes = {t.id: c for c, t in market.territories.items()} | {
        s.id: c for c, s in market.skus.items()
    }
    rows = session.exec(select(Target).where(col(Target.period) == MONTH)).all()
    return {(codes[t.territory_id], codes[t.sku_id]): (t.quantity, t.value) for t in rows}


@pytest.mark.parametrize(
    ("figures", "error"),
    [
        ({}, "give a quantity, a value or both"),
        ({"quantity": "-1"}, "greater than or equal to 0"),
        ({"quantity": "1.0001"}, "decimal places"),
        ({"quantity": "1", "period": "2026-13"}, "should match pattern"),
    ],
)
def test_bad_rows_are_refused(
    client: TestClient, market: Market, figures: dict[str, Any], error: str
) -> None:
    response = put(client, market, row(market, **figures))
    assert response.status_code == 422
    assert error in response.text


def test_unknown_territory_or_sku_refuses_the_whole_batch(
    client: TestClient, session: Session, market: Market
) -> None:
    ghost = str(uuid.uuid4())
    response = put(
        client, market, row(market, quantity=1), {**row(market, quantity=1), "sku_id": ghost}
    )
    assert (response.status_code, ghost in response.json()["detail"]) == (422, True)
    assert stored(session, market) == {}


def test_the_same_key_twice_is_refused(client: TestClient, market: Market) -> None:
    assert put(client, market, row(market, quantity=1), row(market, quantity=2)).status_code == 422


def test_upsert_inserts_then_replaces(client: TestClient, session: Session, market: Market) -> None:
    first = put(client, market, row(market, quantity="10"), row(market, "B", "s2", value="99.5"))
    second = put(
        client,
        market,
        row(market, quantity="12.5", value="30"),
        row(market, "R", "s3", quantity="7"),
    )

    assert (first.status_code, second.status_code) == (200, 200)
    assert stored(session, market) == {
        ("A", "s1"): (Decimal("12.5"), Decimal(30)),
        ("B", "s2"): (None, Decimal("99.5")),
        ("R", "s3"): (Decimal(7), None),
    }
