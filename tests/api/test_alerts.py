"""Early warnings: each kind trips on its planted problem, carries evidence, stays in scope."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from models.users import Role
from models.visits import Audit, AuditLine
from tests.factories.catalogue import create_brand, create_sku
from tests.factories.geo import create_outlet, create_territory
from tests.factories.users import create_user, sign_in
from tests.factories.visits import create_analysed_photo, create_visit

UNTIL = date(2026, 11, 29)


def day(offset: int) -> datetime:
    """``offset`` days before UNTIL, mid-morning."""
    d = UNTIL - timedelta(days=offset)
    return datetime(d.year, d.month, d.day, 10, tzinfo=UTC)


def alerts_for(client: TestClient, headers: dict[str, str]) -> list[dict[str, Any]]:
    response = client.get("/v1/alerts", params={"until": str(UNTIL)}, headers=headers)
    assert response.status_code == 200, response.text
    return list(response.json()["alerts"])


def test_each_planted_problem_raises_its_alert(client: TestClient, session: Session) -> None:
    region = create_territory(session, code="R", corner=(2.0, 48.0), size=1.0, level="region")
    zone = create_territory(session, code="Z", parent=region, corner=(2.0, 48.0), size=0.5)
    create_territory(session, code="FAR", corner=(6.0, 45.0), size=0.5)
    shops = [create_outlet(session, lon=2.1 + i * 0.01, lat=48.1) for i in range(4)]
    rep = create_user(session, username="rita", role=Role.rep, territory_ids=[zone.id])
    ours, theirs = (
        create_brand(session, name="Ours", own=True),
        create_brand(session, name="Theirs"),
    )
    sku = create_sku(session, name="Cola 33cl", brand=ours)

    # Share: 60 % two weeks ago, 30 % last week (two photos each).
    for offset, share in ((10, 600), (9, 600), (3, 300), (2, 300)):
        visit = create_visit(
            session, rep=rep, outlet=shops[0], at=day(offset), ended_at=day(offset)
        )
        widths = [(ours, float(share)), (theirs, float(1000 - share))]
        create_analysed_photo(session, visit=visit, widths=widths, linear_px=1000, phash=offset)
    # Out of stock on the last two audits at shop 1.
    for offset in (6, 1):
        visit = create_visit(
            session, rep=rep, outlet=shops[1], at=day(offset), ended_at=day(offset)
        )
        audit = Audit(id=uuid.uuid4(), visit_id=visit.id, digest="t")
        session.add(audit)
        session.flush()
        session.add(AuditLine(audit_id=audit.id, sku_id=sku.id, present=False))
    # Three check-ins far from the outlet this week.
    for offset in (1, 2, 3):
        create_visit(session, rep=rep, outlet=shops[2], at=day(offset), distance_m=2500)
    # Coverage: all four shops visited five weeks ago; only shops 0 and 1 in the last four.
    for shop in shops:
        create_visit(session, rep=rep, outlet=shop, at=day(35), ended_at=day(35))
    # The same photo sent on two visits.
    for offset in (4, 5):
        visit = create_visit(
            session, rep=rep, outlet=shops[0], at=day(offset), ended_at=day(offset)
        )
        create_analysed_photo(
            session, visit=visit, widths=[(ours, 500.0)], linear_px=1000, phash=0x0F0F_0F0F_0F0F
        )
    manager = sign_in(client, create_user(session, role=Role.manager, territory_ids=[region.id]))
    stranger = create_user(
        session, role=Role.manager, territory_ids=[create_territory(session, corner=(7.0, 45.0)).id]
    )

    found = alerts_for(client, manager)

    kinds = {a["kind"]: a for a in found}
    assert set(kinds) == {
        "share_drop",
        "repeated_out_of_stock",
        "coverage_falling",
        "far_check_ins",
        "reused_photo",
    }
    drop = next(a for a in found if a["evidence"].get("brand_id") == str(ours.id))
    # 60 % over two photos, then (300 + 300 + 500 + 500) / 4000 = 40 % over four.
    assert drop["value"] == pytest.approx(20)
    assert "Ours lost 20.0 points" in drop["message"]
    assert len(drop["evidence"]["photo_ids"]) == 4
    assert kinds["repeated_out_of_stock"]["evidence"]["sku_id"] == str(sku.id)
    assert kinds["far_check_ins"]["value"] == 3
    assert kinds["coverage_falling"]["value"] == 50
    assert len(kinds["reused_photo"]["evidence"]["visit_ids"]) == 2
    assert alerts_for(client, sign_in(client, stranger)) == []


def test_a_quiet_market_raises_nothing(client: TestClient, session: Session) -> None:
    territory = create_territory(session)
    shop = create_outlet(session)
    rep = create_user(session, role=Role.rep, territory_ids=[territory.id])
    create_visit(session, rep=rep, outlet=shop, at=day(2), ended_at=day(2))

    assert alerts_for(client, sign_in(client, create_user(session, role=Role.planner))) == []
