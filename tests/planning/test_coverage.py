"""The coverage table on a market small enough to work out by hand."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from models.outlets import OutletStatus
from models.planning.coverage import CoverageFilter, coverage_table
from models.planning.frame import Frame
from models.territories import Territory
from tests.factories.catalogue import create_sku
from tests.factories.geo import create_outlet, create_territory
from tests.factories.planning import (
    create_audit,
    create_order,
    create_sale,
    create_target,
    noon,
)
from tests.factories.visits import create_analysed_photo
from tests.planning.conftest import AS_OF, MONTH, PERIOD, Market, visit

Nov = date(2026, 11, 1).replace
UTC_ZONE = ZoneInfo("UTC")


@pytest.fixture
def facts(session: Session, market: Market) -> Market:
    """Sales, visits and shelf evidence in A and B, each line a case the table must handle."""
    s1, s2, s3 = (market.skus[k] for k in ("s1", "s2", "s3"))
    rep = market.rep
    a1 = create_outlet(session, code="a1", lon=2.1, lat=48.1)
    a2 = create_outlet(session, code="a2", lon=2.2, lat=48.1)
    a3 = create_outlet(session, code="a3", lon=2.3, lat=48.1, status=OutletStatus.prospect)
    a4 = create_outlet(session, code="a4", lon=2.4, lat=48.1, status=OutletStatus.closed)
    b1 = create_outlet(session, code="b1", lon=2.6, lat=48.1)
    b2 = create_outlet(session, code="b2", lon=2.7, lat=48.1)
    # a1: sold s1; audited with s1 on the shelf and s2 missing.
    create_sale(session, a1, s1, Nov(day=3), 10)
    create_audit(
        session, visit(session, rep, a1, noon(Nov(day=5))), [(s1, True, 4), (s2, False, 0)]
    )
    # a2: s1 seen, then seen missing (the newest wins); s2 ordered on an open visit (covered).
    create_audit(session, visit(session, rep, a2, noon(Nov(day=1))), [(s1, True, 2)])
    create_audit(session, visit(session, rep, a2, noon(Nov(day=8))), [(s1, False, 0)])
    create_order(session, visit(session, rep, a2, noon(Nov(day=6)), done=False), [(s2, 3, 5)])
    # a3, a prospect: s1 seen in October, inside the 30-day window; not covered in November.
    create_audit(session, visit(session, rep, a3, noon(date(2026, 10, 25))), [(s1, True, 1)])
    # a4 is closed: outside the universe, its sales too.
    create_sale(session, a4, s1, Nov(day=3), 100)
    # b1: sold s1 and s3; a completed visit without records covers it.
    create_sale(session, b1, s1, Nov(day=10), 6)
    create_sale(session, b1, s3, Nov(day=12), 4, 40)
    visit(session, rep, b1, noon(Nov(day=12)))
    # b2: s1 seen in September (out of the window); a sale after as_of; a photo shows s2.
    create_audit(session, visit(session, rep, b2, noon(date(2026, 9, 1))), [(s1, True, 3)])
    create_sale(session, b2, s1, Nov(day=20), 50)
    shot = visit(session, rep, b2, noon(Nov(day=14)), done=False)
    create_analysed_photo(session, visit=shot, widths=[], linear_px=100.0, facings=[(s2, 3)])
    # Last November: a1 sold 8 of s1.
    create_sale(session, a1, s1, date(2025, 11, 20), 8)
    # Targets at the leaves for s1; at the region for s3, in value only.
    t = market.territories
    create_target(session, t["A"], s1, MONTH, quantity=30)
    create_target(session, t["B"], s1, MONTH, quantity=12)
    create_target(session, t["R"], s3, MONTH, value=100)
    return market


def get(client: TestClient, market: Market, **params: Any) -> dict[str, Any]:
    query = {"territory_id": str(market.territories["R"].id), "period": PERIOD, "as_of": str(AS_OF)}
    response = client.get(
        "/v1/planning/coverage", params={**query, **params}, headers=market.headers["planner"]
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


ROW_FIELDS = (
    "carrying",
    "nd",
    "wd",
    "ros",
    "sales_quantity",
    "sales_value",
    "target_quantity",
    "projected_quantity",
    "last_year_quantity",
    "gap_quantity",
    "target_value",
    "gap_value",
)
# (territory, sku): carrying, ND, WD, ROS, sales qty, value, target, projected, last year, gap,
# target value, gap value. Category 1 (s1, s2) sells 35 in A (a1 20 + a2 15) and 12 in B.
ROWS = {
    ("R", "s1"): (3, "0.6", "0.680851", "5.333333", "16", "32", "42", "32", "8", "10", None, None),
    ("R", "s2"): (2, "0.4", "0.319149", "1.5", "3", "15", None, "6", None, None, None, None),
    ("R", "s3"): (1, "0.2", "1", "4", "4", "40", None, "8", None, None, "100", "20"),
    ("A", "s1"): (2, "0.666667", "0.571429", "5", "10", "20", "30", "20", "8", "10", None, None),
    ("A", "s2"): (1, "0.333333", "0.428571", "3", "3", "15", None, "6", None, None, None, None),
    ("A", "s3"): (0, "0", "0", "0", "0", "0", None, "0", None, None, None, None),
    ("B", "s1"): (1, "0.5", "1", "6", "6", "12", "12", "12", None, "0", None, None),
    ("B", "s2"): (1, "0.5", "0", "0", "0", "0", None, "0", None, None, None, None),
    ("B", "s3"): (1, "0.5", "1", "4", "4", "40", None, "8", None, None, None, None),
}
# territory: universe, covered, coverage, carrying pairs, sales qty, value, target qty, projected
# qty, gap qty, target value, projected value, gap value.
TOTALS = {
    "R": (5, 3, "0.6", 6, "23", "87", "42", "46", "10", "100", "174", "20"),
    "A": (3, 2, "0.666667", 3, "13", "35", "30", "26", "10", None, "70", None),
    "B": (2, 1, "0.5", 3, "10", "52", "12", "20", "0", None, "104", None),
}
TOTAL_FIELDS = (
    "universe",
    "covered",
    "coverage",
    "carrying",
    "sales_quantity",
    "sales_value",
    "target_quantity",
    "projected_quantity",
    "gap_quantity",
    "target_value",
    "projected_value",
    "gap_value",
)


def figures(row: dict[str, Any], fields: tuple[str, ...]) -> tuple[Any, ...]:
    return tuple(
        row[f] if row[f] is None or isinstance(row[f], int) else Decimal(row[f]).normalize()
        for f in fields
    )


def expected(values: tuple[Any, ...]) -> tuple[Any, ...]:
    return tuple(v if v is None or isinstance(v, int) else Decimal(v).normalize() for v in values)


def test_every_figure_matches_the_hand_count(client: TestClient, facts: Market) -> None:
    body = get(client, facts)
    codes = {t["territory_id"]: t["code"] for t in body["territories"]}

    rows = {(codes[r["territory_id"]], r["sku_code"]): figures(r, ROW_FIELDS) for r in body["rows"]}
    totals = {t["code"]: figures(t, TOTAL_FIELDS) for t in body["territories"]}

    assert [t["code"] for t in body["territories"]] == ["R", "A", "B"]
    assert rows == {key: expected(values) for key, values in ROWS.items()}
    assert totals == {key: expected(values) for key, values in TOTALS.items()}


def brand_of(market: Market, sku: str) -> str:
    return str(market.skus[sku].brand_id)


@pytest.mark.parametrize(
    ("narrowing", "skus", "targets_shown"),
    [
        (lambda m: {"sku_id": str(m.skus["s1"].id)}, ["s1"], True),
        (lambda m: {"brand_id": brand_of(m, "s3")}, ["s3"], True),
        (lambda m: {"channel": "horeca"}, [], False),
        (lambda m: {"channel": "convenience"}, ["s1", "s2", "s3"], False),
    ],
)
def test_filters_narrow_the_rows(
    client: TestClient,
    facts: Market,
    narrowing: Callable[[Market], dict[str, str]],
    skus: list[str],
    targets_shown: bool,
) -> None:
    body = get(client, facts, **narrowing(facts))

    assert sorted({r["sku_code"] for r in body["rows"]}) == skus
    assert any(r["target_quantity"] or r["target_value"] for r in body["rows"]) == (
        targets_shown and bool(skus)
    )


def test_a_territory_without_outlets_has_an_empty_row(client: TestClient, market: Market) -> None:
    body = get(client, market, territory_id=str(market.territories["C"].id))

    assert body["rows"] == []
    (total,) = body["territories"]
    assert (total["code"], total["universe"], total["coverage"]) == ("C", 0, "0.000000")


def test_before_the_month_starts_nothing_is_projected(client: TestClient, facts: Market) -> None:
    body = get(client, facts, as_of="2026-10-31")
    (total,) = [t for t in body["territories"] if t["code"] == "R"]

    assert (total["sales_quantity"], total["covered"], total["projected_quantity"]) == (
        "0.000",
        0,
        None,
    )


def test_days_are_local_days(session: Session, market: Market) -> None:
    """23:30 UTC on 31 October is already November in Paris: covered there, not in UTC."""
    outlet = create_outlet(session, code="late", lon=2.1, lat=48.1)
    visit(session, market.rep, outlet, datetime(2026, 10, 31, 23, 30, tzinfo=UTC))
    a = market.territories["A"]

    covered = [
        coverage_table(session, Frame(a, MONTH, AS_OF, ZoneInfo(zone)), CoverageFilter())
        .territories[0]
        .covered
        for zone in ("UTC", "Europe/Paris")
    ]
    assert covered == [0, 1]


def test_a_target_set_on_a_parent_stands_for_the_targets_below_it(session: Session) -> None:
    """X holds Y (own target 100, leaves 30 and 12) and Z (no target, its leaf 7)."""
    x = create_territory(session, code="X", corner=(6.0, 40.0), size=2.0, level="country")
    y = create_territory(session, code="Y", parent=x, corner=(6.0, 40.0), size=1.0, level="region")
    z = create_territory(session, code="Z", parent=x, corner=(7.0, 40.0), size=1.0, level="region")
    y1 = create_territory(session, code="Y1", parent=y, corner=(6.0, 40.0), size=0.5)
    y2 = create_territory(session, code="Y2", parent=y, corner=(6.5, 40.0), size=0.5)
    z1 = create_territory(session, code="Z1", parent=z, corner=(7.0, 40.0), size=0.5)
    sku = create_sku(session)
    for territory, quantity in ((y, 100), (y1, 30), (y2, 12), (z1, 7)):
        create_target(session, territory, sku, MONTH, quantity=quantity)

    def targets(root: Territory) -> dict[str, Decimal | None]:
        table = coverage_table(session, Frame(root, MONTH, AS_OF, UTC_ZONE), CoverageFilter())
        codes = {t.territory_id: t.code for t in table.territories}
        return {codes[r.territory_id]: r.target_quantity for r in table.rows}

    assert targets(x) == {"X": 107, "Y": 100, "Z": 7}
    assert targets(y) == {"Y": 100, "Y1": 30, "Y2": 12}
    create_target(session, x, sku, MONTH, quantity=500)
    assert targets(x) == {"X": 500, "Y": 100, "Z": 7}


def test_the_newest_evidence_decides_and_a_sighting_wins_a_tie(
    session: Session, market: Market
) -> None:
    """One visit's photo shows s2 while its audit says missing: carried. Elsewhere the photo
    came first and a later audit found it gone: not carried."""
    s2 = market.skus["s2"]
    tie = create_outlet(session, code="tie", lon=2.1, lat=48.1)
    gone = create_outlet(session, code="gone", lon=2.2, lat=48.1)
    both = visit(session, market.rep, tie, noon(Nov(day=5)))
    create_audit(session, both, [(s2, False, 0)])
    create_analysed_photo(session, visit=both, widths=[], linear_px=100.0, facings=[(s2, 3)])
    shot = visit(session, market.rep, gone, noon(Nov(day=3)))
    create_analysed_photo(session, visit=shot, widths=[], linear_px=100.0, facings=[(s2, 2)])
    create_audit(session, visit(session, market.rep, gone, noon(Nov(day=9))), [(s2, False, 0)])
    frame = Frame(market.territories["A"], MONTH, AS_OF, UTC_ZONE)

    table = coverage_table(session, frame, CoverageFilter(sku_id=s2.id), use_rollup=False)

    (row,) = [r for r in table.rows if r.territory_id == frame.territory.id]
    assert (row.carrying, row.nd) == (1, Decimal("0.5"))
