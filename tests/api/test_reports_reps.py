"""Rep activity report: plan against done, time in store, flags, photos; scoped."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from fastapi.testclient import TestClient
from sqlmodel import Session

from models.outlets import OutletClass
from models.users import Role
from tests.factories.catalogue import create_brand
from tests.factories.geo import create_outlet, create_territory
from tests.factories.users import create_user, sign_in
from tests.factories.visits import create_analysed_photo, create_visit

START = date(2026, 11, 2)  # a 28-day window


def test_plan_against_done_and_flags(client: TestClient, session: Session) -> None:
    region = create_territory(session, code="R", corner=(2.0, 48.0), size=1.0, level="region")
    mine = create_territory(session, code="M", parent=region, corner=(2.0, 48.0), size=0.5)
    other = create_territory(session, code="O", corner=(5.0, 45.0), size=0.5)
    a = create_outlet(session, lon=2.1, lat=48.1, outlet_class=OutletClass.A)  # 4 a month
    c = create_outlet(session, lon=2.2, lat=48.1, outlet_class=OutletClass.C)  # 1 a month
    rep = create_user(session, username="ana", role=Role.rep, territory_ids=[mine.id])
    create_user(session, username="zed", role=Role.rep, territory_ids=[other.id])
    brand = create_brand(session)
    day = datetime(2026, 11, 3, 9, tzinfo=UTC)
    for i, (outlet, minutes, flags) in enumerate(
        [(a, 20, []), (a, 40, ["mock_location"]), (c, None, ["implausible_speed"])]
    ):
        started = day + timedelta(days=i)
        ended = started + timedelta(minutes=minutes) if minutes else None
        visit = create_visit(
            session,
            rep=rep,
            outlet=outlet,
            at=started,
            ended_at=ended,
            flags=flags,
            distance_m=500 if i == 2 else 10,
        )
        create_analysed_photo(session, visit=visit, widths=[(brand, 10)], linear_px=100)
    manager = sign_in(client, create_user(session, role=Role.manager, territory_ids=[region.id]))

    response = client.get(
        "/v1/reports/reps",
        params={"from": str(START), "to": str(START + timedelta(days=27))},
        headers=manager,
    )

    assert response.status_code == 200
    [row] = response.json()["rows"]  # zed works elsewhere: not in this manager's report
    assert row["username"] == "ana"
    assert row["planned_visits"] == 5.0
    assert (row["visits"], row["plan_adherence"]) == (3, 0.6)
    assert row["avg_minutes_in_store"] == 30.0
    assert (row["outside_geofence"], row["mock_location"], row["implausible_speed"]) == (1, 1, 1)
    assert (row["photos_per_visit"], row["photos_rejected"]) == (1.0, 0)
