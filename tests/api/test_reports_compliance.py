"""Compliance report: pooled MSL, facings, displays, price tags and score, worst first, scoped."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from models.catalogue import Brand, Sku
from models.outlets import Channel, Outlet
from models.perfect_store import score_visits
from models.settings import Settings
from models.users import Role
from models.visits import Visit
from tests.factories.catalogue import create_brand, create_sku
from tests.factories.compliance import analyse, create_photo, create_shelf_audit
from tests.factories.geo import create_outlet, create_territory
from tests.factories.planning import add_to_msl
from tests.factories.users import create_user, sign_in
from tests.factories.visits import create_visit

DAY = date(2026, 11, 16)
WEIGHTS = {"msl": 0.4, "facings": 0.3, "display": 0.15, "price_tag": 0.15}


@dataclass(frozen=True)
class Figures:
    """What a visit's evidence shows against the list a (3 facings), b (2 facings)."""

    msl_present: int
    facings_met: int
    display: int
    price_tag: int

    @property
    def score(self) -> float:
        parts = {
            "msl": self.msl_present / 2,
            "facings": self.facings_met / 2,
            "display": self.display,
            "price_tag": self.price_tag,
        }
        return sum(WEIGHTS[k] * v for k, v in parts.items()) / sum(WEIGHTS.values())


Evidence = Callable[[Session, Visit, Sku, Sku, Brand], None]


def full_audit(session: Session, visit: Visit, a: Sku, b: Sku, ours: Brand) -> None:
    create_shelf_audit(
        session, visit=visit, lines=[(a, True, 3, Decimal("2.50")), (b, True, 2, None)]
    )


def thin_photo(session: Session, visit: Visit, a: Sku, b: Sku, ours: Brand) -> None:
    analyse(session, create_photo(session, visit=visit), facings=[(a, 1)], displays=[ours])


def b_missing(session: Session, visit: Visit, a: Sku, b: Sku, ours: Brand) -> None:
    create_shelf_audit(session, visit=visit, lines=[(b, False, 0, None)])


def display_audit(session: Session, visit: Visit, a: Sku, b: Sku, ours: Brand) -> None:
    create_shelf_audit(
        session, visit=visit, lines=[(a, True, 4, None), (b, True, 1, None)], displays=[(ours, 1)]
    )


# (outlet, days after DAY, evidence, what it shows); the last visit falls before the window.
VISITS: list[tuple[str, int, Evidence, Figures]] = [
    ("north-1", 0, full_audit, Figures(2, 2, 0, 1)),
    ("north-1", 3, thin_photo, Figures(1, 0, 1, 0)),
    ("north-2", 1, b_missing, Figures(0, 0, 0, 0)),
    ("south-1", 2, display_audit, Figures(2, 1, 1, 0)),
    ("far-1", 2, full_audit, Figures(2, 2, 0, 1)),
    ("north-2", -10, full_audit, Figures(2, 2, 0, 1)),
]
IN_WINDOW = [v for v in VISITS if v[1] >= 0]


def expected(outlets: set[str]) -> dict[str, Any]:
    """The pooled figures of the visits in the window at these outlets."""
    shown = [f for name, _, _, f in IN_WINDOW if name in outlets]
    return {
        "visits": len(shown),
        "msl_presence": sum(f.msl_present for f in shown) / (2 * len(shown)),
        "facings_met": sum(f.facings_met for f in shown) / (2 * len(shown)),
        "displays": sum(f.display for f in shown) / len(shown),
        "price_tags": sum(f.price_tag for f in shown) / len(shown),
        "score": sum(f.score for f in shown) / len(shown),
    }


@pytest.fixture
def market(client: TestClient, session: Session, settings: Settings) -> dict[str, Any]:
    region = create_territory(session, code="R", corner=(2.0, 48.0), size=1.0, level="region")
    north = create_territory(session, code="N", parent=region, corner=(2.0, 48.5), size=0.5)
    south = create_territory(session, code="S", parent=region, corner=(2.0, 48.0), size=0.5)
    elsewhere = create_territory(session, code="X", corner=(5.0, 45.0), size=0.5)
    ours = create_brand(session, own=True)
    a, b = create_sku(session, brand=ours), create_sku(session, brand=ours)
    for channel in (Channel.convenience, Channel.supermarket):
        add_to_msl(session, channel, a, 3)
        add_to_msl(session, channel, b, 2)
    outlets: dict[str, Outlet] = {
        "north-1": create_outlet(session, code="north-1", lon=2.1, lat=48.6),
        "north-2": create_outlet(session, code="north-2", lon=2.2, lat=48.6),
        "south-1": create_outlet(
            session, code="south-1", lon=2.1, lat=48.1, channel=Channel.supermarket
        ),
        "far-1": create_outlet(session, code="far-1", lon=5.1, lat=45.1),
    }
    rep = create_user(session, role=Role.rep, territory_ids=[north.id])
    visits = []
    for name, days, evidence, _ in VISITS:
        start = datetime.combine(DAY + timedelta(days=days), datetime.min.time(), UTC)
        visit = create_visit(session, rep=rep, outlet=outlets[name], at=start.replace(hour=10))
        evidence(session, visit, a, b, ours)
        visits.append(visit.id)
    score_visits(session, settings, visits)
    return {
        "region": region,
        "north": north,
        "south": south,
        "elsewhere": elsewhere,
        "outlets": outlets,
        "manager": sign_in(
            client, create_user(session, role=Role.manager, territory_ids=[region.id])
        ),
        "foreign": sign_in(
            client, create_user(session, role=Role.manager, territory_ids=[elsewhere.id])
        ),
        "rep": sign_in(client, rep),
        "planner": sign_in(client, create_user(session, role=Role.planner)),
    }


def report(client: TestClient, headers: dict[str, str], status: int = 200, **params: Any) -> Any:
    query = {"from": str(DAY), "to": str(DAY + timedelta(days=6))} | params
    response = client.get("/v1/reports/compliance", params=query, headers=headers)
    assert response.status_code == status, response.text
    return response.json()


def figures(row: dict[str, Any]) -> dict[str, Any]:
    return {
        k: row[k]
        for k in ("visits", "msl_presence", "facings_met", "displays", "price_tags", "score")
    }


def test_outlets_worst_first_with_pooled_figures(
    client: TestClient, market: dict[str, Any]
) -> None:
    body = report(
        client, market["manager"], territory_id=str(market["region"].id), group_by="outlet"
    )

    assert [r["code"] for r in body["rows"]] == ["north-2", "north-1", "south-1"]
    for row in body["rows"]:
        assert figures(row) == pytest.approx(expected({row["code"]}), abs=1e-4), row["code"]
    assert body["next_cursor"] is None


def test_child_territories_of_the_one_asked(client: TestClient, market: dict[str, Any]) -> None:
    body = report(client, market["manager"], territory_id=str(market["region"].id))

    rows = {r["code"]: r for r in body["rows"]}
    assert [r["code"] for r in body["rows"]] == ["N", "S"]
    assert figures(rows["N"]) == pytest.approx(expected({"north-1", "north-2"}), abs=1e-4)
    assert rows["N"]["outlets"] == 2
    assert figures(rows["S"]) == pytest.approx(expected({"south-1"}), abs=1e-4)


def test_channel_filter(client: TestClient, market: dict[str, Any]) -> None:
    body = report(client, market["manager"], group_by="outlet", channel="supermarket")

    assert [r["code"] for r in body["rows"]] == ["south-1"]


def test_pages_follow_each_other_without_gaps(client: TestClient, market: dict[str, Any]) -> None:
    whole = report(client, market["planner"], group_by="outlet")["rows"]
    seen: list[dict[str, Any]] = []
    cursor: str | None = None
    while True:
        params: dict[str, Any] = {"group_by": "outlet", "limit": 1}
        if cursor:
            params["cursor"] = cursor
        page = report(client, market["planner"], **params)
        seen += page["rows"]
        cursor = page["next_cursor"]
        if cursor is None:
            break

    assert [r["code"] for r in seen] == [r["code"] for r in whole]
    assert len(whole) == 4


def test_csv_has_the_same_rows(client: TestClient, market: dict[str, Any]) -> None:
    params = {"from": str(DAY), "to": str(DAY + timedelta(days=6)), "group_by": "outlet"}
    response = client.get(
        "/v1/reports/compliance", params=params | {"format": "csv"}, headers=market["manager"]
    )

    lines = response.text.splitlines()
    assert response.headers["content-type"].startswith("text/csv")
    assert lines[0].startswith("id,code,name,score,visits,outlets,msl_presence,")
    assert [line.split(",")[1] for line in lines[1:]] == ["north-2", "north-1", "south-1"]


def test_a_manager_sees_only_their_region(client: TestClient, market: dict[str, Any]) -> None:
    mine = {r["code"] for r in report(client, market["manager"])["rows"]}
    everything = {r["code"] for r in report(client, market["planner"])["rows"]}

    assert mine == {"N", "S"}
    assert everything == {"N", "S", "X"}


@pytest.mark.parametrize(
    ("caller", "status"), [(None, 401), ("rep", 403), ("foreign", 404), ("manager", 200)]
)
def test_who_may_ask_about_a_region(
    client: TestClient, market: dict[str, Any], caller: str | None, status: int
) -> None:
    headers = market[caller] if caller else {}

    report(client, headers, status, territory_id=str(market["region"].id))
