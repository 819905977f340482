"""The planning rollup: the coverage table read from it is the table computed from the facts.

Random markets (test_identity's generator) are rolled up, then written to in one territory the
way the API writes (a sale, a visit checked out, an audit, a photo analysed, an outlet closed):
the table must keep giving the figures of the data now, before and after the next refresh.
"""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import text
from sqlmodel import Session, col, func, select

from models.catalogue import Sku
from models.outlets import Outlet, OutletStatus
from models.planning import rollup
from models.planning.coverage import CoverageFilter, CoverageTable, coverage_table, rollup_usable
from models.planning.frame import Frame, Span
from models.sales import Sale
from models.territories import Territory
from tests.factories.catalogue import create_sku
from tests.factories.planning import create_audit, create_order, create_sale, create_target
from tests.factories.users import create_user
from tests.factories.visits import create_analysed_photo
from tests.planning.conftest import AS_OF, MONTH, visit
from tests.planning.test_identity import SEEDS, RandomMarket, build

UTC_ZONE = ZoneInfo("UTC")


def frame(territory: Territory, as_of: date = AS_OF) -> Frame:
    return Frame(territory, MONTH, as_of, UTC_ZONE)


def refresh(session: Session, as_of: date = AS_OF) -> dict[date, int]:
    return rollup.refresh_planning_rollup(session, [Span(MONTH, as_of, UTC_ZONE)])


def both(
    session: Session, territory: Territory, where: CoverageFilter
) -> tuple[CoverageTable, ...]:
    """The table as the API reads it (rollup where it can), and computed from the facts."""
    at = frame(territory)
    read = coverage_table(session, at, where)
    return read, coverage_table(session, at, where, use_rollup=False)


def dirty(session: Session) -> set[str]:
    codes = text(
        "SELECT DISTINCT t.code FROM planning_dirty AS d "
        "JOIN territory AS t ON t.id = d.territory_id"
    )
    return set(session.scalars(codes))


@pytest.mark.parametrize("seed", SEEDS)
def test_the_rollup_gives_the_figures_of_the_facts(session: Session, seed: int) -> None:
    market = build(session, seed)
    skus = list(session.scalars(text("SELECT id FROM sku")))
    brands = list(session.scalars(text("SELECT brand_id FROM sku")))
    channels = list(session.scalars(text("SELECT DISTINCT channel::text FROM outlet ORDER BY 1")))
    # Targets above the leaves too: the region E's own stands for E1's and E2's.
    for sku in session.exec(select(Sku).order_by(col(Sku.code)).limit(2)):
        create_target(session, market.territories["E"], sku, MONTH, quantity=seed * 10 + 5)

    done = refresh(session)

    assert done == {MONTH: len(market.territories)}
    assert dirty(session) == set()
    for code in ("X", "E", "E1"):
        territory = market.territories[code]
        assert rollup_usable(session, frame(territory))
        for where in (
            CoverageFilter(),
            CoverageFilter(sku_id=skus[0]),
            CoverageFilter(brand_id=brands[-1]),
            CoverageFilter(channel=random.Random(seed).choice(channels)),
        ):
            read, facts = both(session, territory, where)
            assert read == facts


def test_the_table_is_read_from_the_rollup(session: Session) -> None:
    """Cells changed behind the triggers' back show: each unchanged child reads its subtree's."""
    market = build(session, 1)
    refresh(session)
    root = market.territories["X"]
    before = coverage_table(session, frame(root), CoverageFilter())

    session.execute(text("UPDATE planning_outlets_cell SET universe = universe + 1000"))

    after = coverage_table(session, frame(root), CoverageFilter())
    # without a channel, each child's cells of every channel together: N, S, E
    assert after.territories[0].universe == before.territories[0].universe + 3 * 1000


def _active_outlet(session: Session, market: RandomMarket) -> tuple[Territory, Outlet]:
    """An active outlet of one of the leaves, and its leaf."""
    leaves = {t.id: t for code, t in market.territories.items() if code in market.leaves["X"]}
    outlet = session.exec(
        select(Outlet)
        .where(col(Outlet.territory_id).in_(leaves), Outlet.status == OutletStatus.active)
        .order_by(col(Outlet.code))
    ).first()
    assert outlet is not None
    assert outlet.territory_id is not None
    return leaves[outlet.territory_id], outlet


AT = datetime(2026, 11, 10, 9, tzinfo=UTC)


def _sale(session: Session, outlet: Outlet) -> None:
    create_sale(session, outlet, create_sku(session), AT.date(), Decimal(7), Decimal(21))


def _audit(session: Session, outlet: Outlet) -> None:
    seen = visit(session, create_user(session), outlet, AT)
    create_audit(session, seen, [(create_sku(session), True, 3)])


def _photo(session: Session, outlet: Outlet) -> None:
    seen = visit(session, create_user(session), outlet, AT)
    facings = [(create_sku(session), 2)]
    create_analysed_photo(session, visit=seen, widths=[], linear_px=100.0, facings=facings)


def _order(session: Session, outlet: Outlet) -> None:
    taken = visit(session, create_user(session), outlet, AT)
    create_order(session, taken, [(create_sku(session), 4, Decimal("2.5"))])


def _close(session: Session, outlet: Outlet) -> None:
    outlet.status = OutletStatus.closed
    session.add(outlet)


WRITES = {
    "sale": _sale,
    "audit": _audit,
    "photo": _photo,
    "order": _order,
    "close outlet": _close,
}


@pytest.mark.parametrize("write", WRITES)
def test_a_write_after_the_refresh_shows_at_once(session: Session, write: str) -> None:
    market = build(session, 3)
    leaf, outlet = _active_outlet(session, market)
    root = market.territories["X"]
    refresh(session)
    before = coverage_table(session, frame(root), CoverageFilter())

    WRITES[write](session, outlet)
    session.flush()

    assert dirty(session) == {leaf.code}
    read, facts = both(session, root, CoverageFilter())
    assert read == facts
    assert read != before
    of_its_channel = CoverageFilter(channel=outlet.channel)
    assert both(session, root, of_its_channel)[0] == both(session, root, of_its_channel)[1]
    refresh(session)
    assert dirty(session) == set()
    assert both(session, root, CoverageFilter())[0] == facts


def _marks(session: Session) -> set[tuple[str, str | None]]:
    """The marks as (territory code, outlet code or None for the whole territory)."""
    rows = text(
        "SELECT DISTINCT t.code, o.code FROM planning_dirty AS d "
        "JOIN territory AS t ON t.id = d.territory_id LEFT JOIN outlet AS o ON o.id = d.outlet_id"
    )
    return {(t, o) for t, o in session.execute(rows)}


def _selling_outlet(session: Session, market: RandomMarket) -> tuple[Territory, Outlet]:
    """The active outlet of a leaf that sold the most SKUs this month, and its leaf."""
    leaves = {t.id: t for code, t in market.territories.items() if code in market.leaves["X"]}
    outlet = session.exec(
        select(Outlet)
        .join(Sale, col(Sale.outlet_id) == Outlet.id)
        .where(
            col(Outlet.territory_id).in_(leaves),
            Outlet.status == OutletStatus.active,
            col(Sale.day) >= MONTH,
            col(Sale.day) <= AS_OF,
            col(Sale.quantity) > 0,
        )
        .group_by(col(Outlet.id))
        .order_by(func.count(col(Sale.sku_id)).desc(), col(Outlet.code))
    ).first()
    assert outlet is not None
    assert outlet.territory_id is not None
    return leaves[outlet.territory_id], outlet


def _sold(session: Session, outlet: Outlet) -> Sku:
    """An SKU the outlet sold this month."""
    sku = session.exec(
        select(Sku)
        .join(Sale, col(Sale.sku_id) == Sku.id)
        .where(
            Sale.outlet_id == outlet.id,
            col(Sale.day) >= MONTH,
            col(Sale.day) <= AS_OF,
            col(Sale.quantity) > 0,
        )
        .order_by(col(Sku.code))
    ).first()
    assert sku is not None
    return sku


def _sell_more(session: Session, outlet: Outlet) -> None:
    session.execute(
        text(
            "UPDATE sale SET quantity = quantity + 5, value = value + 12.5 "
            "WHERE outlet_id = :outlet AND sku_id = :sku AND day >= :month AND day <= :as_of"
        ),
        {"outlet": outlet.id, "sku": _sold(session, outlet).id, "month": MONTH, "as_of": AS_OF},
    )


def _unsell(session: Session, outlet: Outlet) -> None:
    session.execute(
        text("DELETE FROM sale WHERE outlet_id = :outlet AND sku_id = :sku"),
        {"outlet": outlet.id, "sku": _sold(session, outlet).id},
    )


def _find_missing(session: Session, outlet: Outlet) -> None:
    """An audit the day before the cut that finds every SKU of the catalogue missing."""
    seen = visit(session, create_user(session), outlet, datetime(2026, 11, 14, 9, tzinfo=UTC))
    create_audit(session, seen, [(sku, False, 0) for sku in session.exec(select(Sku))])


def _sell_last_year(session: Session, outlet: Outlet) -> None:
    create_sale(session, outlet, _sold(session, outlet), date(2025, 11, 3), 9, Decimal("31.5"))


FACT_WRITES = {
    "more sold of an SKU": _sell_more,
    "an SKU's sales deleted": _unsell,
    "SKUs found missing": _find_missing,
    "last year's sales": _sell_last_year,
    **{k: v for k, v in WRITES.items() if k != "close outlet"},
}


@pytest.mark.parametrize("write", FACT_WRITES)
def test_facts_written_mark_their_outlet_and_correct_its_territorys_cells(
    session: Session, write: str
) -> None:
    """The marked outlet's part is taken off the cells and its figures now added: every figure,
    every channel, the same as the facts; and the cells themselves are still read."""
    market = build(session, 5)
    leaf, outlet = _selling_outlet(session, market)
    root = market.territories["X"]
    refresh(session)
    before = coverage_table(session, frame(root), CoverageFilter())

    FACT_WRITES[write](session, outlet)
    session.flush()

    assert _marks(session) == {(leaf.code, outlet.code)}
    assert rollup.marks(session) == rollup.Marks(territories=[], outlets=[outlet.id])
    read, facts = both(session, root, CoverageFilter())
    assert read == facts
    assert read != before
    for channel in {outlet.channel, *(c for c in type(outlet.channel) if c != outlet.channel)}:
        where = CoverageFilter(channel=channel)
        assert both(session, root, where)[0] == both(session, root, where)[1]
    for code in ("E", "E1", leaf.code):
        read_there, facts_there = both(session, market.territories[code], CoverageFilter())
        assert read_there == facts_there
    session.execute(text("UPDATE planning_outlets_cell SET universe = universe + 1000"))
    after = coverage_table(session, frame(root), CoverageFilter())
    assert after.territories[0].universe == read.territories[0].universe + 3 * 1000


def _cells(session: Session) -> dict[str, set[tuple[object, ...]]]:
    """Every cell and part the rollup holds, but those that sum to nothing."""
    held: dict[str, set[tuple[object, ...]]] = {}
    for table in (*rollup.SUMS, *(part for part, _ in rollup.PARTS.values())):
        rows = session.execute(text(f"SELECT * FROM {table}")).mappings()
        held[table] = {
            tuple(sorted((str(k), v) for k, v in row.items()))
            for row in rows
            if any(
                v for v in row.values() if isinstance(v, int | Decimal) and not isinstance(v, bool)
            )
        }
    return held


@pytest.mark.parametrize("write", FACT_WRITES)
def test_a_refresh_corrects_the_cells_by_the_outlets_written(session: Session, write: str) -> None:
    """It recomputes no territory, and keeps the cells and parts a refresh of everything gives."""
    market = build(session, 6)
    _, outlet = _selling_outlet(session, market)
    refresh(session)
    FACT_WRITES[write](session, outlet)
    session.flush()
    facts = {
        code: coverage_table(session, frame(t), CoverageFilter(), use_rollup=False)
        for code, t in market.territories.items()
    }

    assert refresh(session) == {MONTH: 0}

    assert dirty(session) == set()
    for code, territory in market.territories.items():
        assert coverage_table(session, frame(territory), CoverageFilter()) == facts[code]
    corrected = _cells(session)
    session.execute(text("DELETE FROM planning_snapshot"))
    assert refresh(session) == {MONTH: len(market.territories)}
    assert _cells(session) == corrected


def test_past_so_many_outlets_their_territories_are_recomputed_whole(
    session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    """As after a bulk import: the marked outlets' territories are read and refreshed whole."""
    market = build(session, 5)
    root = market.territories["X"]
    refresh(session)
    sellers = session.exec(
        select(Outlet).where(
            col(Outlet.territory_id).is_not(None), Outlet.status == OutletStatus.active
        )
    ).all()
    for outlet in sellers:
        _sale(session, outlet)
    session.flush()
    leaves = {o.territory_id for o in sellers if o.territory_id is not None}
    assert len(sellers) > 2
    monkeypatch.setattr(rollup, "MOST_OUTLETS", len(sellers) - 1)

    assert rollup.marks(session) == rollup.Marks(territories=sorted(leaves), outlets=[])
    read, facts = both(session, root, CoverageFilter())
    assert read == facts
    assert refresh(session) == {MONTH: len(leaves)}
    assert coverage_table(session, frame(root), CoverageFilter()) == facts


def test_an_sku_no_longer_sold_anywhere_leaves_the_table(session: Session) -> None:
    market = build(session, 5)
    leaf, outlet = _active_outlet(session, market)
    root = market.territories["X"]
    only_here = create_sku(session)
    create_sale(session, outlet, only_here, AS_OF - timedelta(days=2), 3, Decimal(9))
    create_sale(session, outlet, only_here, date(2025, 11, 20), 2, Decimal(6))
    refresh(session)
    shown = {r.sku_id for r in coverage_table(session, frame(root), CoverageFilter()).rows}
    assert only_here.id in shown

    session.execute(text("DELETE FROM sale WHERE sku_id = :sku"), {"sku": only_here.id})

    assert _marks(session) == {(leaf.code, outlet.code)}
    read, facts = both(session, root, CoverageFilter())
    assert read == facts
    assert only_here.id not in {r.sku_id for r in read.rows}
    refresh(session)
    assert coverage_table(session, frame(root), CoverageFilter()) == facts
    for table in ("planning_sku_cell", "planning_last_year_cell"):
        cells = text(f"SELECT count(*) FROM {table} WHERE sku_id = :sku")
        assert session.execute(cells, {"sku": only_here.id}).scalar_one() == 0


def test_a_checkout_after_the_refresh_covers_the_outlet_at_once(session: Session) -> None:
    market = build(session, 3)
    leaf, outlet = _active_outlet(session, market)
    root = market.territories["X"]
    # Its only visit this month, not yet checked out: the outlet is not covered.
    seen = visit(session, create_user(session), outlet, AT, done=False)
    session.execute(
        text("DELETE FROM visit WHERE outlet_id = :id AND id <> :visit"),
        {"id": outlet.id, "visit": seen.id},
    )
    refresh(session)
    row = {t.code: t for t in coverage_table(session, frame(root), CoverageFilter()).territories}

    session.execute(
        text("UPDATE visit SET ended_at = started_at + interval '5 minutes' WHERE id = :id"),
        {"id": seen.id},
    )

    assert dirty(session) == {leaf.code}
    read, facts = both(session, root, CoverageFilter())
    assert read == facts
    after = {t.code: t for t in read.territories}
    assert after[leaf.code].covered == row[leaf.code].covered + 1


def test_an_sku_moved_to_another_category_marks_every_territory(session: Session) -> None:
    market = build(session, 3)
    root = market.territories["X"]
    refresh(session)

    session.execute(
        text(
            "UPDATE sku SET category_id = (SELECT id FROM category ORDER BY id LIMIT 1) "
            "WHERE id = (SELECT sku_id FROM sale ORDER BY sku_id LIMIT 1)"
        )
    )

    assert dirty(session) == {t.code for t in market.territories.values()}
    read, facts = both(session, root, CoverageFilter())
    assert read == facts


def test_a_target_set_after_the_refresh_shows_at_once(session: Session) -> None:
    market = build(session, 3)
    root, east = market.territories["X"], market.territories["E"]
    refresh(session)
    before = coverage_table(session, frame(root), CoverageFilter())
    sku = session.exec(select(Sku).order_by(col(Sku.code))).first()
    assert sku is not None

    create_target(session, east, sku, MONTH, quantity=999)
    session.flush()

    assert dirty(session) == {"E"}
    read, facts = both(session, root, CoverageFilter())
    assert read == facts
    assert read != before
    shown = [r for r in read.rows if (r.territory_id, r.sku_id) == (east.id, sku.id)]
    assert [r.target_quantity for r in shown] == [999]


def test_a_territory_moved_after_the_refresh_counts_once(session: Session) -> None:
    market = build(session, 3)
    root = market.territories["X"]
    refresh(session)
    before = coverage_table(session, frame(root), CoverageFilter())

    session.execute(
        text("UPDATE territory SET parent_id = :north WHERE id = :leaf"),
        {"north": market.territories["N"].id, "leaf": market.territories["E2"].id},
    )

    assert dirty(session) == {"E", "E2", "N"}
    read, facts = both(session, root, CoverageFilter())
    assert read == facts
    assert read.territories[0].universe == before.territories[0].universe


def test_a_new_day_is_computed_from_the_facts_until_the_next_refresh(session: Session) -> None:
    market = build(session, 2)
    refresh(session)
    root = market.territories["X"]
    tomorrow = AS_OF + timedelta(days=1)

    assert not rollup_usable(session, frame(root, tomorrow))
    assert refresh(session, tomorrow) == {MONTH: len(market.territories)}
    assert rollup_usable(session, frame(root, tomorrow))
    assert not rollup_usable(session, frame(root))


def test_a_channel_is_read_from_its_own_cells_of_the_rollup(session: Session) -> None:
    market = build(session, 4)
    refresh(session)
    root = market.territories["X"]
    channels = list(session.scalars(text("SELECT DISTINCT channel::text FROM outlet ORDER BY 1")))
    assert len(channels) > 1
    for channel in channels:
        where = CoverageFilter(channel=channel)
        assert rollup_usable(session, frame(root))
        read, facts = both(session, root, where)
        assert read == facts

    first, other = channels[0], channels[1]
    before = {c: coverage_table(session, frame(root), CoverageFilter(channel=c)) for c in channels}
    session.execute(
        text(
            "UPDATE planning_outlets_cell SET universe = universe + 1000 WHERE channel = :channel"
        ),
        {"channel": first},
    )
    changed = coverage_table(session, frame(root), CoverageFilter(channel=first))
    assert changed.territories[0].universe > before[first].territories[0].universe
    assert coverage_table(session, frame(root), CoverageFilter(channel=other)) == before[other]


def test_months_outside_the_spans_are_dropped(session: Session) -> None:
    build(session, 0)
    refresh(session)
    rollup.refresh_planning_rollup(session, rollup.spans("UTC", 30, today=date(2027, 2, 3)))

    months = set(session.scalars(text("SELECT month FROM planning_snapshot")))
    cells = set(session.scalars(text("SELECT DISTINCT month FROM planning_sku_cell")))
    assert months == {date(2027, 2, 1), date(2027, 1, 1)}
    assert cells <= months
