"""Shelf rollups: sums per outlet-day and brand, recomputed only where analyses are new."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import text, update
from sqlmodel import Session, col, select

from models.analysis import PhotoAnalysis, PhotoBrandShare
from models.rollups import ShelfBrandDay, ShelfOutletDay, refresh_shelf_rollup
from models.users import Role
from tests.factories.catalogue import create_brand, create_sku
from tests.factories.geo import create_outlet, create_territory
from tests.factories.users import create_user
from tests.factories.visits import create_analysed_photo, create_visit

DAY = date(2026, 11, 16)
TZ = "Europe/Paris"


@pytest.fixture
def shelf(session: Session) -> dict[str, Any]:
    territory = create_territory(session)
    ours, theirs = create_brand(session, name="Ours", own=True), create_brand(session, name="T")
    sku = create_sku(session, brand=ours)
    rep = create_user(session, role=Role.rep, territory_ids=[territory.id])
    shops = {"a": create_outlet(session), "b": create_outlet(session, lon=2.06)}
    photos = [  # (outlet, UTC time, ours px, theirs px, shelf px, quality ok)
        ("a", datetime(2026, 11, 16, 9, tzinfo=UTC), 300, 500, 1000, True),
        ("a", datetime(2026, 11, 16, 15, tzinfo=UTC), 200, 600, 1000, True),
        ("a", datetime(2026, 11, 16, 23, 30, tzinfo=UTC), 400, 0, 800, True),  # 17th in Paris
        ("b", datetime(2026, 11, 16, 10, tzinfo=UTC), 900, 100, 1000, False),  # rejected
        ("b", datetime(2026, 11, 16, 11, tzinfo=UTC), 100, 100, 500, True),
    ]
    made = []
    for shop, at, o, t, total, ok in photos:
        visit = create_visit(session, rep=rep, outlet=shops[shop], at=at)
        widths = [(b, w) for b, w in ((ours, o), (theirs, t)) if w]
        made.append(
            create_analysed_photo(
                session,
                visit=visit,
                widths=widths,
                linear_px=total,
                facings=[(sku, 3)],
                quality_ok=ok,
            )
        )
    return {"ours": ours, "theirs": theirs, "shops": shops, "photos": made, "rep": rep}


def outlet_days(session: Session) -> set[tuple[Any, ...]]:
    rows = session.exec(select(ShelfOutletDay)).all()
    return {(r.day, r.outlet_id, r.photos, r.shelf_px, r.shelf_px_sq) for r in rows}


def brand_days(session: Session) -> set[tuple[Any, ...]]:
    rows = session.exec(select(ShelfBrandDay)).all()
    return {
        (r.day, r.outlet_id, r.brand_id, r.photos, r.facings, r.width_px, r.width_px_sq,
         r.width_x_shelf)
        for r in rows
    }  # fmt: skip


def test_refresh_sums_each_outlet_day_in_the_field_time_zone(
    session: Session, shelf: dict[str, Any]
) -> None:
    a, b = shelf["shops"]["a"].id, shelf["shops"]["b"].id
    ours, theirs = shelf["ours"].id, shelf["theirs"].id
    next_day = DAY + timedelta(days=1)

    touched = refresh_shelf_rollup(session, TZ)

    assert touched == 3
    assert outlet_days(session) == {
        (DAY, a, 2, 2000.0, 2 * 1000.0**2),
        (next_day, a, 1, 800.0, 800.0**2),
        (DAY, b, 1, 500.0, 500.0**2),
    }
    assert brand_days(session) == {
        (DAY, a, ours, 2, 6, 500.0, 300.0**2 + 200.0**2, (300.0 + 200.0) * 1000),
        (DAY, a, theirs, 2, 0, 1100.0, 500.0**2 + 600.0**2, (500.0 + 600.0) * 1000),
        (next_day, a, ours, 1, 3, 400.0, 400.0**2, 400.0 * 800),
        (DAY, b, ours, 1, 3, 100.0, 100.0**2, 100.0 * 500),
        (DAY, b, theirs, 1, 0, 100.0, 100.0**2, 100.0 * 500),
    }


def test_refresh_again_changes_nothing(session: Session, shelf: dict[str, Any]) -> None:
    refresh_shelf_rollup(session, TZ)
    first = outlet_days(session), brand_days(session)

    refresh_shelf_rollup(session, TZ)

    assert (outlet_days(session), brand_days(session)) == first


def test_only_outlet_days_with_new_analyses_are_recomputed(
    session: Session, shelf: dict[str, Any]
) -> None:
    old = datetime.now(UTC) - timedelta(hours=2)
    session.execute(update(PhotoAnalysis).values(analysed_at=old))
    refresh_shelf_rollup(session, TZ)
    before = brand_days(session)
    changed = shelf["photos"][4]  # outlet b's good photo: its brand widths change in place
    session.execute(
        update(PhotoBrandShare)
        .where(col(PhotoBrandShare.photo_id) == changed.id)
        .values(width_px=250.0)
    )

    refresh_shelf_rollup(session, TZ)
    untouched = brand_days(session)
    session.execute(
        update(PhotoAnalysis)
        .where(col(PhotoAnalysis.photo_id) == changed.id)
        .values(analysed_at=text("clock_timestamp()"))
    )
    refresh_shelf_rollup(session, TZ)
    b_rows = {r for r in brand_days(session) if r[1] == shelf["shops"]["b"].id}

    assert untouched == before
    assert {(r[2], r[5]) for r in b_rows} == {
        (shelf["ours"].id, 250.0),
        (shelf["theirs"].id, 250.0),
    }
