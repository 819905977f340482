"""The shelf share report read from the daily rollup gives the figures the photos give."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text, update
from sqlmodel import Session, col

from models.analysis import PhotoAnalysis, PhotoBrandShare
from models.rollups import refresh_shelf_rollup
from models.users import Role
from tests.factories.catalogue import create_brand, create_sku
from tests.factories.geo import create_outlet, create_territory
from tests.factories.users import create_user, sign_in
from tests.factories.visits import create_analysed_photo, create_visit

DAY = date(2026, 11, 16)


@pytest.fixture
def market(client: TestClient, session: Session) -> dict[str, Any]:
    """Photos over two weeks in two outlets, all analysed two hours ago."""
    territory = create_territory(session, corner=(2.0, 48.0), size=1.0)
    ours, theirs = create_brand(session, name="Ours", own=True), create_brand(session, name="T")
    sku = create_sku(session, brand=ours)
    rep = create_user(session, role=Role.rep, territory_ids=[territory.id])
    shops = [create_outlet(session, lon=2.1, lat=48.1), create_outlet(session, lon=2.2, lat=48.2)]
    photos = []
    for i, (o, t, total) in enumerate([(300, 500, 1000), (200, 600, 1000), (400, 0, 800)] * 3):
        at = datetime(2026, 11, 9, 10, tzinfo=UTC) + timedelta(days=i)
        visit = create_visit(session, rep=rep, outlet=shops[i % 2], at=at)
        widths = [(b, w) for b, w in ((ours, o), (theirs, t)) if w]
        photos.append(
            create_analysed_photo(
                session, visit=visit, widths=widths, linear_px=total, facings=[(sku, 2 + i)]
            )
        )
    session.execute(
        update(PhotoAnalysis).values(analysed_at=datetime.now(UTC) - timedelta(hours=2))
    )
    manager = create_user(session, role=Role.manager, territory_ids=[territory.id])
    return {"manager": sign_in(client, manager), "photos": photos, "sku": sku}


def report(client: TestClient, headers: dict[str, str], **params: Any) -> list[dict[str, Any]]:
    query = {"from": str(DAY), "to": str(DAY + timedelta(days=6))} | params
    response = client.get("/v1/reports/shelf-share", params=query, headers=headers)
    assert response.status_code == 200, response.text
    return list(response.json()["rows"])


@pytest.mark.parametrize("group_by", ["territory", "outlet", "week", "channel", "brand"])
def test_rollup_and_photos_agree(
    client: TestClient, session: Session, market: dict[str, Any], group_by: str
) -> None:
    from_photos = report(client, market["manager"], group_by=group_by)

    refresh_shelf_rollup(session, "UTC")
    from_rollup = report(client, market["manager"], group_by=group_by)

    assert from_photos
    assert from_rollup == from_photos


def test_the_report_reads_the_rollup_until_a_photo_is_analysed_again(
    client: TestClient, session: Session, market: dict[str, Any]
) -> None:
    refresh_shelf_rollup(session, "UTC")
    before = report(client, market["manager"], group_by="brand")
    photo = market["photos"][7]  # 16 November
    # Changed behind the rollup's back: still the rolled-up figure.
    session.execute(
        update(PhotoBrandShare)
        .where(col(PhotoBrandShare.photo_id) == photo.id)
        .values(width_px=PhotoBrandShare.width_px / 2)
    )
    stale = report(client, market["manager"], group_by="brand")
    # Analysed again (a new analysed_at): its outlet-day is read from the photos.
    session.execute(
        update(PhotoAnalysis)
        .where(col(PhotoAnalysis.photo_id) == photo.id)
        .values(analysed_at=text("clock_timestamp()"))
    )
    fresh = report(client, market["manager"], group_by="brand")
    by_category = report(
        client, market["manager"], group_by="brand", category_id=str(market["sku"].category_id)
    )

    assert stale == before
    assert [r["share"] for r in fresh] != [r["share"] for r in before]
    assert [(r["brand"], r["share"]) for r in by_category] == [
        (r["brand"], r["share"]) for r in fresh
    ]
