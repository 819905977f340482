"""Check-in and check-out from the phone: geofence, trust flags, replays, races, late sync."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, func
from sqlmodel import Session, select

from models import migrate
from models.checkins import CheckIn, check_in
from models.db import unit_of_work
from models.settings import Settings
from models.users import Role, User
from models.visits import Visit
from tests.factories.geo import create_outlet, create_territory
from tests.factories.users import create_user, sign_in

NOW = datetime.now(UTC).replace(microsecond=0)
SHOP = (2.35, 48.85)


@pytest.fixture
def rep_world(client: TestClient, session: Session) -> dict[str, Any]:
    territory = create_territory(session, corner=(2.3, 48.8), size=0.2)
    create_territory(session, corner=(3.0, 48.8), size=0.2)
    outlet = create_outlet(session, lon=SHOP[0], lat=SHOP[1])
    foreign = create_outlet(session, lon=3.1, lat=48.9)
    rep = create_user(session, role=Role.rep, territory_ids=[territory.id])
    return {"outlet": outlet, "foreign": foreign, "rep": rep, "headers": sign_in(client, rep)}


def body(outlet_id: object, **overrides: Any) -> dict[str, Any]:
    payload = {
        "id": str(uuid.uuid4()),
        "outlet_id": str(outlet_id),
        "started_at": NOW.isoformat(),
        "location": {"lat": SHOP[1], "lon": SHOP[0], "accuracy_m": 10},
    }
    return payload | overrides


def visits_count(session: Session) -> int:
    return session.exec(select(func.count()).select_from(Visit)).one()


def test_anonymous_and_foreign_outlet_are_refused(
    client: TestClient, session: Session, rep_world: dict[str, Any]
) -> None:
    anonymous = client.post("/v1/visits", json=body(rep_world["outlet"].id))
    foreign = client.post(
        "/v1/visits", json=body(rep_world["foreign"].id), headers=rep_world["headers"]
    )

    assert anonymous.status_code == 401
    assert foreign.status_code == 404
    assert visits_count(session) == 0


# ~111 m per 0.001° of latitude.
GEOFENCE = [
    ("at the door", 0.0, 10, "inside", []),
    ("across the street", 0.001, 10, "inside", []),
    ("a block away, vague fix", 0.0018, 80, "uncertain", []),
    ("far away", 0.01, 10, "outside", ["far_from_outlet"]),
    ("no accuracy reported", 0.0, None, "inside", ["poor_gps_accuracy"]),
    ("poor accuracy", 0.0, 500, "inside", ["poor_gps_accuracy"]),
]


@pytest.mark.parametrize(
    ("case", "dlat", "accuracy", "verdict", "flags"), GEOFENCE, ids=[g[0] for g in GEOFENCE]
)
def test_geofence_verdict_and_flags(
    client: TestClient,
    rep_world: dict[str, Any],
    case: str,
    dlat: float,
    accuracy: float | None,
    verdict: str,
    flags: list[str],
) -> None:
    location = {"lat": SHOP[1] + dlat, "lon": SHOP[0], "accuracy_m": accuracy}

    response = client.post(
        "/v1/visits",
        json=body(rep_world["outlet"].id, location=location),
        headers=rep_world["headers"],
    )

    assert response.status_code == 201
    visit = response.json()
    assert visit["geofence"] == verdict
    assert visit["flags"] == flags
    assert visit["distance_m"] == pytest.approx(dlat * 111_250, rel=0.01, abs=0.5)
    assert visit["trust_score"] == (1.0 if not flags else pytest.approx(visit["trust_score"]))
    assert (visit["trust_score"] < 1.0) == bool(flags)


def test_mock_location_and_clock_skew_lower_trust(
    client: TestClient, rep_world: dict[str, Any]
) -> None:
    payload = body(
        rep_world["outlet"].id,
        mock_location=True,
        device_time=(NOW + timedelta(hours=1)).isoformat(),
    )

    visit = client.post("/v1/visits", json=payload, headers=rep_world["headers"]).json()

    assert visit["flags"] == ["mock_location", "clock_skew"]
    assert visit["trust_score"] == pytest.approx(0.5 * 0.8)


def test_implausible_speed_between_check_ins(
    client: TestClient, session: Session, rep_world: dict[str, Any]
) -> None:
    far = create_outlet(session, lon=2.49, lat=48.85)  # ~10 km east, same territory
    headers = rep_world["headers"]
    client.post("/v1/visits", json=body(rep_world["outlet"].id), headers=headers)
    one_minute_later = (NOW + timedelta(minutes=1)).isoformat()

    response = client.post(
        "/v1/visits",
        json=body(
            far.id,
            started_at=one_minute_later,
            location={"lat": 48.85, "lon": 2.49, "accuracy_m": 5},
        ),
        headers=headers,
    )

    assert response.json()["flags"] == ["implausible_speed"]


def test_replay_answers_the_first_response_and_conflict_is_409(
    client: TestClient, session: Session, rep_world: dict[str, Any]
) -> None:
    payload = body(rep_world["outlet"].id)
    headers = rep_world["headers"]

    first = client.post("/v1/visits", json=payload, headers=headers)
    replay = client.post("/v1/visits", json=payload, headers=headers)
    respelled = client.post(
        "/v1/visits",
        json=payload | {"started_at": NOW.isoformat().replace("+00:00", "Z")},
        headers=headers,
    )
    changed = client.post("/v1/visits", json=payload | {"mock_location": True}, headers=headers)

    assert (first.status_code, replay.status_code, respelled.status_code) == (201, 200, 200)
    assert replay.json() == first.json() == respelled.json()
    assert changed.status_code == 409
    assert changed.headers["content-type"] == "application/problem+json"
    assert visits_count(session) == 1


def test_a_three_day_late_sync_keeps_device_times(
    client: TestClient, rep_world: dict[str, Any]
) -> None:
    three_days_ago = NOW - timedelta(days=3)
    payload = body(
        rep_world["outlet"].id, started_at=three_days_ago.isoformat(), device_time=NOW.isoformat()
    )

    visit = client.post("/v1/visits", json=payload, headers=rep_world["headers"]).json()
    closed = client.post(
        f"/v1/visits/{visit['id']}/checkout",
        json={"ended_at": (three_days_ago + timedelta(minutes=12)).isoformat()},
        headers=rep_world["headers"],
    ).json()

    assert datetime.fromisoformat(visit["started_at"]) == three_days_ago
    assert datetime.fromisoformat(visit["received_at"]) >= NOW
    assert visit["flags"] == []
    assert closed["duration_s"] == 720


def test_checkout_closes_once(
    client: TestClient, session: Session, rep_world: dict[str, Any]
) -> None:
    headers = rep_world["headers"]
    visit = client.post("/v1/visits", json=body(rep_world["outlet"].id), headers=headers).json()
    url = f"/v1/visits/{visit['id']}/checkout"
    checkout = {"ended_at": (NOW + timedelta(minutes=25)).isoformat()}
    other_rep = sign_in(client, create_user(session, role=Role.rep))

    stranger = client.post(url, json=checkout, headers=other_rep)
    before_start = client.post(
        url, json={"ended_at": (NOW - timedelta(minutes=1)).isoformat()}, headers=headers
    )
    first = client.post(url, json=checkout, headers=headers)
    replay = client.post(url, json=checkout, headers=headers)
    changed = client.post(
        url, json={"ended_at": (NOW + timedelta(minutes=30)).isoformat()}, headers=headers
    )

    assert stranger.status_code == 404
    assert before_start.status_code == 422
    assert first.status_code == replay.status_code == 200
    assert first.json() == replay.json()
    assert first.json()["status"] == "closed"
    assert first.json()["duration_s"] == 1500
    assert changed.status_code == 409


@pytest.fixture
def committed(make_database: Callable[[], str], tmp_path: Any) -> Any:
    """A database of its own where writes really commit (races need separate transactions)."""
    engine = create_engine(make_database(), pool_size=10)
    migrate.upgrade(engine)
    yield engine, Settings(database_url=str(engine.url.render_as_string(False)), data_dir=tmp_path)
    engine.dispose()


def _world(engine: Any) -> tuple[User, uuid.UUID]:
    with unit_of_work(engine) as session:
        territory = create_territory(session, corner=(2.3, 48.8), size=0.2)
        outlet = create_outlet(session, lon=SHOP[0], lat=SHOP[1])
        rep = create_user(session, role=Role.rep, territory_ids=[territory.id])
        session.expunge_all()
    return rep, outlet.id


def test_racing_duplicates_make_exactly_one_visit(committed: Any) -> None:
    engine, settings = committed
    rep, outlet_id = _world(engine)
    payload = CheckIn.model_validate(body(outlet_id))
    barrier = threading.Barrier(8)
    results: list[bool] = []
    errors: list[BaseException] = []

    def attempt() -> None:
        try:
            barrier.wait()
            with unit_of_work(engine) as session:
                results.append(check_in(session, settings, rep, payload)[1])
        except BaseException as exc:  # collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=attempt) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert sorted(results) == [False] * 7 + [True]
    with Session(engine) as session:
        assert visits_count(session) == 1


def test_response_lost_after_commit_then_retry(committed: Any) -> None:
    engine, settings = committed
    rep, outlet_id = _world(engine)
    payload = body(outlet_id)
    with unit_of_work(engine) as session:  # the first attempt commits; its answer never arrives
        check_in(session, settings, rep, CheckIn.model_validate(payload))

    from api.app import create_app

    with TestClient(create_app(settings.model_copy(update={"secret_key": "s" * 32}))) as client:
        retry = client.post("/v1/visits", json=payload, headers=sign_in(client, rep))

    assert retry.status_code == 200
    assert retry.json()["id"] == payload["id"]
    with Session(engine) as session:
        assert visits_count(session) == 1


def _app_client(settings: Settings) -> TestClient:
    from api.app import create_app

    return TestClient(create_app(settings.model_copy(update={"secret_key": "s" * 32})))


def test_racing_check_ins_through_the_route_make_one_visit(committed: Any) -> None:
    engine, settings = committed
    rep, outlet_id = _world(engine)
    payload = body(outlet_id)
    barrier = threading.Barrier(8)
    statuses: list[int] = []

    with _app_client(settings) as client:
        headers = sign_in(client, rep)

        def attempt() -> None:
            barrier.wait()
            statuses.append(client.post("/v1/visits", json=payload, headers=headers).status_code)

        threads = [threading.Thread(target=attempt) for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

    assert sorted(statuses) == [200] * 7 + [201]
    with Session(engine) as session:
        assert visits_count(session) == 1


def test_route_scopes_the_outlet_by_role_and_refuses_a_disabled_account(committed: Any) -> None:
    engine, settings = committed
    rep, outlet_id = _world(engine)
    with unit_of_work(engine) as session:
        create_territory(session, corner=(3.0, 48.8), size=0.2)
        foreign = create_outlet(session, lon=3.1, lat=48.9)
        planner = create_user(session, role=Role.planner)
        session.expunge_all()

    with _app_client(settings) as client:
        rep_headers = sign_in(client, rep)
        out_of_scope = client.post("/v1/visits", json=body(foreign.id), headers=rep_headers)
        planner_anywhere = client.post(
            "/v1/visits", json=body(foreign.id), headers=sign_in(client, planner)
        )
        with unit_of_work(engine) as session:
            disabled = session.get(User, rep.id)
            assert disabled is not None
            disabled.active = False
        refused = client.post("/v1/visits", json=body(outlet_id), headers=rep_headers)

    assert out_of_scope.status_code == 404
    assert planner_anywhere.status_code == 201
    assert planner_anywhere.json()["geofence"] == "outside"
    assert refused.status_code == 401
    assert refused.headers["www-authenticate"] == "Bearer"
    assert refused.json()["detail"] == "This account no longer exists or is disabled."
    with Session(engine) as session:
        assert visits_count(session) == 1


def test_check_in_is_503_with_retry_after_when_the_database_is_unreachable(
    tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from models import db
    from models.cluster import free_port

    monkeypatch.setattr(db, "ASYNC_POOL_WAIT_S", 1)
    settings = Settings(
        database_url=f"postgresql+psycopg://nobody:x@127.0.0.1:{free_port()}/none",
        data_dir=tmp_path,
    )
    with _app_client(settings) as client:
        user = User(id=uuid.uuid4(), username="r", full_name="R", role=Role.rep, password_hash="")
        response = client.post("/v1/visits", json=body(uuid.uuid4()), headers=sign_in(client, user))

    assert response.status_code == 503
    assert response.headers["retry-after"] == "5"
    assert response.json()["type"].endswith("unavailable")
