"""On random markets: sales = |U| × ND × ROS on every row, and parents add up their children.

Seeded random data (hypothesis is not among our dependencies); each seed is a market of its own,
checked against an independent count made here in Python from the same generated facts.
"""

from __future__ import annotations

import json
import random
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import Session

from models.catalogue import Sku
from models.outlets import Channel, Outlet, OutletStatus
from models.planning.coverage import CoverageFilter, CoverageTable, coverage_json, coverage_table
from models.planning.frame import Frame
from models.territories import Territory
from models.users import Role, User
from tests.factories.catalogue import create_category, create_sku
from tests.factories.geo import create_outlet, create_territory
from tests.factories.planning import (
    create_audit,
    create_order,
    create_sale,
    create_target,
)
from tests.factories.users import create_user
from tests.factories.visits import create_analysed_photo
from tests.planning.conftest import AS_OF, MONTH, visit

CUT = datetime(2026, 11, 16, tzinfo=UTC)  # the day after AS_OF
WINDOW = timedelta(days=30)


@dataclass
class Oracle:
    """What the table must say, counted naively from the facts as they were generated."""

    leaf_of: dict[uuid.UUID, str] = field(default_factory=dict)  # outlet -> leaf code
    in_universe: set[uuid.UUID] = field(default_factory=set)
    sale_days: set[tuple[uuid.UUID, uuid.UUID, date]] = field(default_factory=set)
    sold: dict[tuple[uuid.UUID, uuid.UUID], Decimal] = field(
        default_factory=lambda: defaultdict(Decimal)
    )
    evidence: dict[tuple[uuid.UUID, uuid.UUID], list[tuple[datetime, bool]]] = field(
        default_factory=lambda: defaultdict(list)
    )

    def carrying(self, outlet: uuid.UUID, sku: uuid.UUID) -> bool:
        seen = sorted(self.evidence.get((outlet, sku), []))
        return self.sold.get((outlet, sku), Decimal(0)) != 0 or bool(seen and seen[-1][1])


@dataclass
class RandomMarket:
    root: Territory
    leaves: dict[str, list[str]]  # row territory code -> leaf codes below it
    territories: dict[str, Territory]
    oracle: Oracle


def _day(rng: random.Random) -> datetime:
    """A moment between mid-September and the end of November."""
    start = datetime(2026, 9, 15, tzinfo=UTC)
    return start + timedelta(minutes=rng.randrange(0, 77 * 24 * 60))


def build(session: Session, seed: int) -> RandomMarket:
    rng = random.Random(seed)
    root = create_territory(session, code=f"X{seed}", corner=(10.0, 40.0), size=1.0)
    north = create_territory(session, code="N", parent=root, corner=(10.0, 40.5), size=0.5)
    south = create_territory(session, code="S", parent=root, corner=(10.0, 40.0), size=0.5)
    east = create_territory(session, code="E", parent=root, corner=(10.5, 40.0), size=1.0)
    e1 = create_territory(session, code="E1", parent=east, corner=(10.5, 40.0), size=0.5)
    e2 = create_territory(session, code="E2", parent=east, corner=(10.5, 40.5), size=0.5)
    corners = {"N": (10.0, 40.5), "S": (10.0, 40.0), "E1": (10.5, 40.0), "E2": (10.5, 40.5)}
    categories = [create_category(session) for _ in range(2)]
    skus = [create_sku(session, category=rng.choice(categories)) for _ in range(4)]
    rep = create_user(session, role=Role.rep)
    oracle = Oracle()
    outlets: list[Outlet] = []
    for i in range(rng.randint(8, 24)):
        leaf = rng.choice(list(corners))
        lon, lat = corners[leaf]
        outlet = create_outlet(
            session,
            lon=lon + rng.uniform(0.01, 0.49),
            lat=lat + rng.uniform(0.01, 0.49),
            code=f"O{seed}-{i}",
            channel=rng.choice(list(Channel)),
            status=rng.choice(
                [OutletStatus.active] * 3 + [OutletStatus.prospect, OutletStatus.closed]
            ),
        )
        outlets.append(outlet)
        oracle.leaf_of[outlet.id] = leaf
        if outlet.status != OutletStatus.closed:
            oracle.in_universe.add(outlet.id)
    for _ in range(rng.randint(0, 60)):
        _random_fact(session, rng, rng.choice(outlets), skus, rep, oracle)
    for territory in (north, south, e1, e2):
        for sku in rng.sample(skus, 2):
            create_target(session, territory, sku, MONTH, quantity=rng.randint(0, 500))
    territories = {"X": root, "N": north, "S": south, "E": east, "E1": e1, "E2": e2}
    leaves = {
        "X": list(corners),
        "N": ["N"],
        "S": ["S"],
        "E": ["E1", "E2"],
        "E1": ["E1"],
        "E2": ["E2"],
    }
    return RandomMarket(root, leaves, territories, oracle)


def _random_fact(
    session: Session,
    rng: random.Random,
    outlet: Outlet,
    skus: list[Sku],
    rep: User,
    oracle: Oracle,
) -> None:
    sku = rng.choice(skus)
    at = _day(rng)
    kind = rng.choice(["sale", "sale", "audit", "order", "photo"])
    in_period = datetime(2026, 11, 1, tzinfo=UTC) <= at < CUT
    in_window = CUT - WINDOW <= at < CUT
    key = (outlet.id, sku.id)
    if kind == "sale":
        day = at.date()
        if (outlet.id, sku.id, day) in {
            (s[0], s[1], s[2]) for s in session.info.setdefault("sales", set())
        }:
            return
        session.info["sales"].add((outlet.id, sku.id, day))
        quantity = Decimal(rng.randint(0, 40)) / rng.choice([1, 4])
        create_sale(session, outlet, sku, day, quantity, quantity * 3)
        if in_period:
            oracle.sold[key] += quantity
        return
    seen = visit(session, rep, outlet, at, done=rng.random() < 0.7)
    if kind == "audit":
        present = rng.random() < 0.6
        create_audit(session, seen, [(sku, present, rng.randint(0, 5))])
    elif kind == "order":
        present = True
        quantity = Decimal(rng.randint(1, 9))
        create_order(session, seen, [(sku, quantity, Decimal("1.25"))])
        if in_period:
            oracle.sold[key] += quantity
    else:
        facings = rng.randint(0, 4)
        present = facings > 0
        create_analysed_photo(
            session, visit=seen, widths=[], linear_px=100.0, facings=[(sku, facings)]
        )
    if in_window:
        oracle.evidence[key].append((at, present))


def table(session: Session, territory: Territory) -> CoverageTable:
    frame = Frame(territory, MONTH, AS_OF, ZoneInfo("UTC"))
    return coverage_table(session, frame, CoverageFilter())


SEEDS = range(5)


def six_places(ratio: Fraction) -> Decimal:
    """As PostgreSQL's round(x, 6) shows it: half away from zero."""
    exact = Decimal(ratio.numerator) / Decimal(ratio.denominator)
    return exact.quantize(Decimal("0.000001"), ROUND_HALF_UP)


@pytest.mark.parametrize("seed", SEEDS)
def test_identity_holds_on_every_row(session: Session, seed: int) -> None:
    market = build(session, seed)
    codes = {t.id: code for code, t in market.territories.items()}
    oracle = market.oracle

    for top in ("X", "E"):
        result = table(session, market.territories[top])
        for row in result.rows:
            code = codes[row.territory_id]
            outlets = [o for o in oracle.in_universe if oracle.leaf_of[o] in market.leaves[code]]
            carriers = [o for o in outlets if oracle.carrying(o, row.sku_id)]
            sales = sum((oracle.sold.get((o, row.sku_id), Decimal(0)) for o in outlets), Decimal(0))

            assert (row.universe, row.carrying, row.sales_quantity) == (
                len(outlets),
                len(carriers),
                sales,
            )
            # Exact in the counts the row gives; ND and ROS are those ratios to six places.
            nd = Fraction(row.carrying, row.universe) if row.universe else Fraction(0)
            ros = Fraction(row.sales_quantity) / row.carrying if row.carrying else Fraction(0)
            assert row.universe * nd * ros == Fraction(row.sales_quantity)
            assert (row.nd, row.ros) == (six_places(nd), six_places(ros))
            shown = Fraction(row.universe) * Fraction(row.nd) * Fraction(row.ros)
            assert (
                abs(shown - Fraction(row.sales_quantity))
                <= Fraction(row.universe) * (ros + 1) / 10**6
            )


ADDITIVE = (
    "universe",
    "covered",
    "carrying",
    "sales_quantity",
    "sales_value",
    "last_year_quantity",
    "target_quantity",  # targets are set on the leaves only
)


def children_sum(values: list[Decimal | int | None]) -> Decimal | int | None:
    present = [v for v in values if v is not None]
    return sum(present) if present else None


@pytest.mark.parametrize("seed", SEEDS)
def test_parents_add_up_their_children_and_totals_their_rows(session: Session, seed: int) -> None:
    market = build(session, seed)
    for top in ("X", "E"):
        root = market.territories[top].id
        result = table(session, market.territories[top])
        parent = {r.sku_id: r for r in result.rows if r.territory_id == root}
        children = [r for r in result.rows if r.territory_id != root]

        for sku, row in parent.items():
            below = [r for r in children if r.sku_id == sku]
            for name in ADDITIVE:
                assert getattr(row, name) == children_sum([getattr(r, name) for r in below]), name
        totals = {t.territory_id: t for t in result.territories}
        for name in ("universe", "covered", "carrying", "sales_quantity", "sales_value"):
            child_totals = [getattr(t, name) for t in result.territories if t.territory_id != root]
            assert getattr(totals[root], name) == sum(child_totals), name
        for total in result.territories:
            rows = [r for r in result.rows if r.territory_id == total.territory_id]
            for name in ("carrying", "sales_quantity", "sales_value", "projected_quantity"):
                assert getattr(total, name) == sum(getattr(r, name) for r in rows), name


@pytest.mark.parametrize("seed", SEEDS[:2])
def test_postgresql_writes_the_json_the_model_would(session: Session, seed: int) -> None:
    """The API passes on the JSON PostgreSQL writes: every field, in order, each decimal as
    the text pydantic would give it (no exponents, no numbers for decimals)."""
    market = build(session, seed)
    frame = Frame(market.territories["X"], MONTH, AS_OF, ZoneInfo("UTC"))

    written = json.loads(coverage_json(session, frame, CoverageFilter()))

    assert written["rows"]
    assert written == json.loads(CoverageTable.model_validate(written).model_dump_json())
