"""The prospects' part of the planning rollup: what it holds gives the figures of the facts.

Random dense markets (lookalikes within the radius, an outlet outside every territory among
them) are rolled up, then written to the way the API writes (an outlet opened or moved near a
prospect, a prospect closed, a sale in the history months): the outlets to open and the gap read
with the rollup must stay those computed from the facts alone, before and after the next
refresh, and an incremental refresh must store what a full one stores.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from functools import partial
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from geoalchemy2 import WKTElement
from sqlalchemy import text
from sqlmodel import Session

from models.catalogue import Sku
from models.outlets import Channel, Outlet, OutletClass, OutletStatus
from models.planning import history, rollup
from models.planning.frame import Frame, Span
from models.planning.gap import GapOptions, GapReport, gap_report
from models.planning.opportunities import Opportunity, OpportunityOptions, opportunities
from models.territories import Territory
from models.users import Role, User
from tests.factories.catalogue import create_sku
from tests.factories.geo import create_outlet, create_territory
from tests.factories.planning import create_order, create_sale, create_target, noon
from tests.factories.users import create_user
from tests.planning.conftest import AS_OF, MONTH, visit

UTC = ZoneInfo("UTC")
SEEDS = range(4)
CHANNELS = (Channel.convenience, Channel.supermarket)
CLASSES = (OutletClass.A, OutletClass.B)


@dataclass
class DenseMarket:
    territories: dict[str, Territory]
    outlets: list[Outlet]
    skus: list[Sku]
    rep: User


def _history_day(rng: random.Random) -> date:
    """A day of the three history months (August to October) or of November to the 15th."""
    return date(2026, 8, 1) + timedelta(days=rng.randrange(0, 107))


def build(session: Session, seed: int) -> DenseMarket:
    """A 0.1° square, W and E its southern leaves (the north is the root's own), and an outlet
    just outside it: with two channels and two classes, most prospects have lookalikes.
    """
    rng = random.Random(seed)
    root = create_territory(session, code=f"D{seed}", corner=(5.0, 45.0), size=0.1, level="region")
    west = create_territory(session, code="W", parent=root, corner=(5.0, 45.0), size=0.05)
    east = create_territory(session, code="E", parent=root, corner=(5.05, 45.0), size=0.05)
    skus = [create_sku(session) for _ in range(3)]
    rep = create_user(session, role=Role.rep)
    outlets = [
        create_outlet(
            session,
            lon=rng.uniform(5.0, 5.1),
            lat=rng.uniform(45.0, 45.1),
            code=f"D{seed}-{i:02d}",
            channel=rng.choice(CHANNELS),
            outlet_class=rng.choice(CLASSES),
            status=rng.choice([OutletStatus.active] * 5 + [OutletStatus.prospect] * 2),
        )
        for i in range(rng.randint(24, 40))
    ]
    # A prospect of E whose nearest lookalike lies just outside every territory, and one of a
    # class no outlet has, valued at its channel's average.
    edge = partial(create_outlet, session, lat=45.02, channel=CHANNELS[0], outlet_class=CLASSES[0])
    outlets.append(edge(lon=5.099, code=f"D{seed}-edge", status=OutletStatus.prospect))
    outlets.append(edge(lon=5.1004, code=f"D{seed}-outside"))
    outlets.append(
        edge(
            lon=5.01,
            code=f"D{seed}-alone",
            outlet_class=OutletClass.C,
            status=OutletStatus.prospect,
        )
    )
    active = [o for o in outlets if o.status == OutletStatus.active]
    sold: set[tuple[Any, ...]] = set()
    for _ in range(rng.randint(40, 90)):
        outlet, sku, day = rng.choice(active), rng.choice(skus), _history_day(rng)
        if (outlet.id, sku.id, day) not in sold:
            sold.add((outlet.id, sku.id, day))
            quantity = Decimal(rng.randint(0, 40)) / rng.choice([1, 4])
            create_sale(session, outlet, sku, day, quantity, quantity * Decimal("2.35"))
    for _ in range(rng.randint(5, 15)):
        seen = visit(session, rep, rng.choice(active), noon(_history_day(rng)))
        create_order(session, seen, [(rng.choice(skus), rng.randint(1, 9), Decimal("1.25"))])
    for sku in skus:
        create_target(session, root, sku, MONTH, quantity=5000)
    territories = {"root": root, "W": west, "E": east}
    return DenseMarket(territories, outlets, skus, rep)


def refresh(session: Session) -> None:
    rollup.refresh_planning_rollup(session, [Span(MONTH, AS_OF, UTC)])


def frame(territory: Territory) -> Frame:
    return Frame(territory, MONTH, AS_OF, UTC)


def ranked(
    session: Session,
    territory: Territory,
    *,
    use_rollup: bool,
    visible: list[Any] | None = None,
    **options: Any,
) -> list[Opportunity]:
    found = OpportunityOptions(limit=500, **options)
    return opportunities(session, frame(territory), found, visible, use_rollup=use_rollup)


def levers(
    session: Session, territory: Territory, *, use_rollup: bool, visible: list[Any] | None = None
) -> GapReport:
    options = GapOptions(prospects=500, limit=500)
    return gap_report(
        session, frame(territory), options, after=0, visible=visible, use_rollup=use_rollup
    )


def assert_as_the_facts(session: Session, market: DenseMarket) -> list[Opportunity]:
    """Every question the same with the rollup and without it; the root's ranking."""
    west = [market.territories["W"].id]
    for territory in market.territories.values():
        for visible in (None, west):
            for cost in (Decimal(0), Decimal(3)):
                read = ranked(
                    session, territory, use_rollup=True, visible=visible, cost_per_km=cost
                )
                facts = ranked(
                    session, territory, use_rollup=False, visible=visible, cost_per_km=cost
                )
                assert read == facts
            read_gap = levers(session, territory, use_rollup=True, visible=visible)
            assert read_gap == levers(session, territory, use_rollup=False, visible=visible)
    return ranked(session, market.territories["root"], use_rollup=True)


def marks(session: Session) -> int:
    return int(session.execute(text("SELECT count(*) FROM planning_outlet_mark")).scalar_one())


def stored(session: Session) -> dict[str, set[tuple[Any, ...]]]:
    tables = ("planning_lookalike", "planning_history_outlet", "planning_history_channel")
    return {t: {tuple(r) for r in session.execute(text(f"SELECT * FROM {t}"))} for t in tables}


@pytest.mark.parametrize("seed", SEEDS)
def test_the_rollup_gives_the_figures_of_the_facts(session: Session, seed: int) -> None:
    market = build(session, seed)
    refresh(session)

    rows = assert_as_the_facts(session, market)

    assert marks(session) == 0
    edge = next(r for r in rows if r.code == f"D{seed}-edge")
    assert edge.lookalikes[0].code == f"D{seed}-outside"
    assert next(r.basis for r in rows if r.code == f"D{seed}-alone") == "channel_average"


def test_the_figures_are_read_from_the_rollup(session: Session) -> None:
    """Stored figures changed behind the triggers' back show: the rollup is what was read."""
    market = build(session, 1)
    refresh(session)
    root = market.territories["root"]
    before = {r.code: r for r in ranked(session, root, use_rollup=True)}

    session.execute(text("UPDATE planning_history_outlet SET value = value + 1000"))
    session.execute(text("DELETE FROM planning_lookalike WHERE distance_m > 2000"))

    after = {r.code: r for r in ranked(session, root, use_rollup=True)}
    with_lookalikes = [c for c in before if before[c].lookalikes]
    assert with_lookalikes
    assert [c for c in with_lookalikes if after[c] != before[c]] == with_lookalikes


def test_the_days_work_leaves_the_history_held(session: Session) -> None:
    """A check-in and an order of the month touch no day of the history: still read from it."""
    market = build(session, 1)
    refresh(session)
    root = market.territories["root"]
    session.execute(text("UPDATE planning_history_outlet SET value = value + 1000"))
    tampered = ranked(session, root, use_rollup=True)

    seen = visit(session, market.rep, market.outlets[0], noon(date(2026, 11, 14)))
    create_order(session, seen, [(market.skus[0], 3, Decimal("1.25"))])
    create_sale(session, market.outlets[0], market.skus[0], date(2026, 11, 14), 5, 5)
    session.flush()

    assert ranked(session, root, use_rollup=True) == tampered
    assert tampered != ranked(session, root, use_rollup=False)


def test_a_check_out_leaves_the_history_standing(session: Session) -> None:
    """Checking out a visit with an order of the history months moves no order: no mark."""
    market = build(session, 1)
    outlet = next(o for o in market.outlets if o.territory_id)
    seen = visit(session, market.rep, outlet, noon(date(2026, 9, 30)), done=False)
    create_order(session, seen, [(market.skus[0], 3, Decimal("1.25"))])
    refresh(session)

    seen.ended_at = noon(date(2026, 9, 30)) + timedelta(minutes=30)
    session.add(seen)
    session.flush()

    assert _history_marks(session) == 0
    seen.started_at = noon(date(2026, 9, 29))
    session.add(seen)
    session.flush()
    assert _history_marks(session) > 0


def _history_marks(session: Session) -> int:
    count = text("SELECT count(*) FROM planning_history_mark")
    return int(session.execute(count).scalar_one())


def _nearest_lookalike(session: Session, prospect: Outlet) -> Outlet:
    """Its nearest lookalike in a territory."""
    near = session.execute(
        text(
            "SELECT l.outlet_id FROM planning_lookalike AS l "
            "JOIN outlet AS o ON o.id = l.outlet_id "
            "WHERE l.subject_id = :id AND o.territory_id IS NOT NULL ORDER BY l.distance_m"
        ),
        {"id": prospect.id},
    ).first()
    assert near is not None
    outlet = session.get(Outlet, near[0])
    assert outlet is not None
    return outlet


def _open_near(session: Session, market: DenseMarket, prospect: Outlet) -> None:
    place = "SELECT ST_X(location), ST_Y(location) FROM outlet WHERE id = :id"
    lon, lat = session.execute(text(place), {"id": prospect.id}).one()
    create_outlet(
        session,
        lon=lon + 0.0005,
        lat=lat,
        channel=prospect.channel,
        outlet_class=prospect.outlet_class,
    )


def _move_lookalike_away(session: Session, market: DenseMarket, prospect: Outlet) -> None:
    moved = _nearest_lookalike(session, prospect)
    moved.location = WKTElement("POINT(6.5 46.5)", srid=4326)
    session.add(moved)


def _close_prospect(session: Session, market: DenseMarket, prospect: Outlet) -> None:
    prospect.status = OutletStatus.closed
    session.add(prospect)


def _sell_at_lookalike(session: Session, market: DenseMarket, prospect: Outlet) -> None:
    outlet = _nearest_lookalike(session, prospect)
    create_sale(session, outlet, create_sku(session), date(2026, 9, 30), 123, 456)


def _sell_outside_territories(session: Session, market: DenseMarket, prospect: Outlet) -> None:
    """An outlet outside every territory leaves no mark: its figures always come from the facts."""
    outside = next(o for o in market.outlets if o.code.endswith("-outside"))
    create_sale(session, outside, create_sku(session), date(2026, 10, 30), 77, 99)


def _sell_in_the_channel(session: Session, market: DenseMarket, prospect: Outlet) -> None:
    """A sale at an active outlet of the channel the lonely prospect is valued at."""
    seller = next(
        o
        for o in market.outlets
        if (o.status, o.channel) == (OutletStatus.active, CHANNELS[0]) and o.territory_id
    )
    create_sale(session, seller, create_sku(session), date(2026, 8, 30), 11, 13)


def _move_order_into_the_history(session: Session, market: DenseMarket, prospect: Outlet) -> None:
    """An order of the month at a lookalike, its visit then moved to a day of the history."""
    seen = visit(session, market.rep, _nearest_lookalike(session, prospect), noon(MONTH))
    create_order(session, seen, [(create_sku(session), 40, Decimal("3.5"))])
    session.flush()
    seen.started_at = noon(date(2026, 9, 30))
    session.add(seen)


WRITES = {
    "outlet opened near a prospect": _open_near,
    "order's visit moved into the history months": _move_order_into_the_history,
    "lookalike moved away": _move_lookalike_away,
    "prospect closed": _close_prospect,
    "sale at a lookalike in the history months": _sell_at_lookalike,
    "sale outside every territory": _sell_outside_territories,
    "sale in the channel of a lonely prospect": _sell_in_the_channel,
}


@pytest.mark.parametrize("write", WRITES)
def test_a_write_after_the_refresh_shows_at_once(session: Session, write: str) -> None:
    market = build(session, 2)
    refresh(session)
    root = market.territories["root"]
    before = ranked(session, root, use_rollup=True)
    prospect = next(o for o in market.outlets if o.code.endswith("-edge"))

    WRITES[write](session, market, prospect)
    session.flush()

    after = assert_as_the_facts(session, market)
    assert after != before
    refresh(session)
    assert marks(session) == 0
    assert assert_as_the_facts(session, market) == after


def test_an_incremental_refresh_stores_what_a_full_one_stores(session: Session) -> None:
    market = build(session, 3)
    refresh(session)
    ranking = ranked(session, market.territories["root"], use_rollup=True)
    prospects = [o for r in ranking for o in market.outlets if r.outlet_id == o.id and r.lookalikes]
    for write, prospect in zip(WRITES.values(), prospects, strict=False):
        write(session, market, prospect)
    session.flush()

    refresh(session)
    incremental = stored(session)
    session.execute(text("DELETE FROM planning_snapshot"))
    session.execute(text("DELETE FROM planning_lookalike_snapshot"))
    refresh(session)

    assert stored(session) == incremental
    assert all(incremental.values())


def test_a_new_day_keeps_the_history_tables(session: Session) -> None:
    """The days before the month do not move with the cut: a new day recomputes none of them."""
    market = build(session, 2)
    refresh(session)
    session.execute(text("UPDATE planning_history_outlet SET value = value + 1000"))
    kept = stored(session)

    rollup.refresh_planning_rollup(session, [Span(MONTH, AS_OF + timedelta(days=1), UTC)])

    assert stored(session) == kept
    # Written since: recomputed at the next refresh, as on any other day.
    _sell_at_lookalike(session, market, next(o for o in market.outlets if o.code.endswith("-edge")))
    session.flush()
    refresh(session)
    assert stored(session)["planning_history_outlet"] != kept["planning_history_outlet"]


def test_other_options_are_found_from_the_facts(session: Session) -> None:
    """The rollup holds the default radius and count only; no stored lookalike may leak."""
    market = build(session, 0)
    refresh(session)
    root = market.territories["root"]
    session.execute(text("UPDATE planning_lookalike SET distance_m = -1"))

    for options in ({"radius_m": 2000.0}, {"neighbours": 2}):
        read = ranked(session, root, use_rollup=True, **options)
        assert read == ranked(session, root, use_rollup=False, **options)
        assert all(x.distance_m >= 0 for r in read for x in r.lookalikes)


def test_months_outside_the_spans_are_dropped(session: Session) -> None:
    build(session, 0)
    refresh(session)
    rollup.refresh_planning_rollup(session, rollup.spans("UTC", 30, today=date(2027, 2, 3)))

    for table in history.HISTORY_CELLS:
        months = set(session.scalars(text(f"SELECT DISTINCT month FROM {table}")))
        assert months <= {date(2027, 2, 1), date(2027, 1, 1)}
