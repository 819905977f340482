"""The demo's shelf photos: analysed by the real model, and the planted problems they carry."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import text
from sqlmodel import Session, col, select

from models.analysis import annotated_key
from models.demo.planted import REUSED_PHOTO_REP, SHARE_DROP
from models.reports.alerts import AlertKind, alerts
from models.users import User
from tests.demo.conftest import TODAY, Market


def _user(session: Session, username: str) -> User:
    return session.exec(select(User).where(col(User.username) == username)).one()


def _code(session: Session, table: str, row_id: object) -> str:
    sql = text(f"SELECT code FROM {table} WHERE id = :id")
    return str(session.execute(sql, {"id": row_id}).scalar_one())


def test_every_demo_photo_is_analysed_with_its_annotated_picture(
    market: Market, market_session: Session
) -> None:
    rows = market_session.execute(
        text(
            """SELECT p.id, p.status, a.photo_id IS NOT NULL,
                      (SELECT count(*) FROM photo_facing AS f WHERE f.photo_id = p.id)
               FROM photo AS p LEFT JOIN photo_analysis AS a ON a.photo_id = p.id"""
        )
    ).all()
    analysed = [row for row in rows if row.status == "analysed"]

    assert market.summary.counts["shelf photos"] == len(rows) >= 10
    assert all(row[2] for row in rows)
    assert {row.status for row in rows} <= {"analysed", "rejected"}
    assert len(analysed) >= 0.6 * len(rows)
    assert all(row[3] > 0 for row in analysed)  # the model recognised catalogue SKUs
    assert all(market.store.exists(annotated_key(row.id)) for row in rows)


def test_share_drop_alert_fires_for_the_planted_territory_and_brand(
    market: Market, market_session: Session
) -> None:
    admin = _user(market_session, "admin")

    found = alerts(market_session, market.settings, admin, TODAY + timedelta(days=1))
    drops = [
        (
            _code(market_session, "territory", a.territory_id),
            _code(market_session, "brand", a.evidence["brand_id"]),
        )
        for a in found
        if a.kind == AlertKind.share_drop
    ]

    assert (SHARE_DROP.territory_code, SHARE_DROP.brand_code) in drops


def test_reused_photo_alert_names_the_planted_rep_and_flags_both_visits(
    market: Market, market_session: Session
) -> None:
    admin, rep = _user(market_session, "admin"), _user(market_session, REUSED_PHOTO_REP)

    found = alerts(market_session, market.settings, admin, TODAY + timedelta(days=1))
    reused = [a for a in found if a.kind == AlertKind.reused_photo]
    flagged = market_session.execute(
        text(
            """SELECT v.rep_id, count(DISTINCT v.outlet_id) FROM visit AS v
               WHERE 'reused_photo' = ANY(v.flags) GROUP BY v.rep_id"""
        )
    ).all()

    assert [a.evidence["rep_id"] for a in reused] == [str(rep.id)]
    assert flagged == [(rep.id, 2)]


def test_photographed_visits_carry_an_audit_and_some_visits_an_order(
    market: Market, market_session: Session
) -> None:
    unaudited = market_session.execute(
        text(
            """SELECT count(DISTINCT p.visit_id) FROM photo AS p
               WHERE NOT EXISTS (SELECT 1 FROM audit AS a WHERE a.visit_id = p.visit_id)"""
        )
    ).scalar_one()
    lines = market_session.execute(
        text(
            """SELECT bool_and(b.own), count(*) FROM order_line AS l
               JOIN sku AS k ON k.id = l.sku_id JOIN brand AS b ON b.id = k.brand_id"""
        )
    ).one()

    assert unaudited == 0
    assert market.summary.counts["audits"] > 0
    assert market.summary.counts["orders"] > 0
    assert lines[0]
    assert lines[1] >= market.summary.counts["orders"]
