"""Who may plan: anonymous 401, reps 403, managers only inside their region (404 outside)."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.planning.conftest import PERIOD, Market

READS = ["/v1/planning/coverage", "/v1/planning/gap", "/v1/planning/opportunities"]


def read(client: TestClient, market: Market, path: str, territory: str, role: str | None) -> int:
    params = {"territory_id": str(market.territories[territory].id), "period": PERIOD}
    headers = market.headers[role] if role else {}
    return client.get(path, params=params, headers=headers).status_code


# role, territory asked about, expected status
READERS = [
    (None, "R", 401),
    ("rep", "A", 403),
    ("manager", "R2", 404),
    ("manager", "C", 404),
    ("manager", "R", 200),
    ("manager", "B", 200),
    ("planner", "R2", 200),
    ("admin", "C", 200),
]


@pytest.mark.parametrize("path", READS)
def test_reads(client: TestClient, market: Market, path: str) -> None:
    answers = [(role, t, read(client, market, path, t, role)) for role, t, _ in READERS]
    assert answers == READERS


def writes(market: Market) -> list[tuple[str, str, dict[str, Any]]]:
    r, s1 = str(market.territories["R"].id), str(market.skus["s1"].id)
    target = {"territory_id": r, "sku_id": s1, "period": PERIOD, "quantity": "10"}
    return [
        ("PUT", "/v1/planning/targets", {"targets": [target]}),
        ("POST", "/v1/planning/allocate", {"territory_id": r, "sku_id": s1, "period": PERIOD}),
        ("PUT", "/v1/planning/msl", {"channel": "convenience", "skus": [{"sku_id": s1}]}),
    ]


@pytest.mark.parametrize(("role", "status"), [(None, 401), ("rep", 403), ("manager", 403)])
def test_only_planners_and_admins_write(
    client: TestClient, market: Market, role: str | None, status: int
) -> None:
    headers = market.headers[role] if role else {}
    answers = [
        client.request(m, path, json=body, headers=headers).status_code
        for m, path, body in writes(market)
    ]
    assert answers == [status] * 3


def test_a_manager_reads_the_must_stock_list_a_rep_does_not(
    client: TestClient, market: Market
) -> None:
    answers = [
        client.get("/v1/planning/msl/convenience", headers=market.headers[role]).status_code
        for role in ("manager", "rep")
    ]
    assert answers == [200, 403]
