"""Audits and orders recorded during a visit: exactly once, only on the rep's open visit."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, func, select

from models.users import Role
from models.visits import AuditLine, OrderLine
from tests.factories.catalogue import create_brand, create_sku
from tests.factories.geo import create_outlet, create_territory
from tests.factories.users import create_user, sign_in

NOW = datetime.now(UTC).replace(microsecond=0)


@pytest.fixture
def visit(client: TestClient, session: Session) -> dict[str, Any]:
    territory = create_territory(session)
    outlet = create_outlet(session)
    rep = create_user(session, role=Role.rep, territory_ids=[territory.id])
    headers = sign_in(client, rep)
    checkin = {
        "id": str(uuid.uuid4()),
        "outlet_id": str(outlet.id),
        "started_at": NOW.isoformat(),
        "location": {"lat": 48.05, "lon": 2.05, "accuracy_m": 8},
    }
    response = client.post("/v1/visits", json=checkin, headers=headers)
    assert response.status_code == 201
    return {"id": checkin["id"], "headers": headers}


def test_audit_is_stored_once_and_replayed(
    client: TestClient, session: Session, visit: dict[str, Any]
) -> None:
    sku, other = create_sku(session), create_sku(session)
    brand = create_brand(session)
    audit = {
        "id": str(uuid.uuid4()),
        "skus": [
            {"sku_id": str(sku.id), "present": True, "facings": 4, "shelf_price": "2.49"},
            {"sku_id": str(other.id), "present": False},
        ],
        "displays": [{"brand_id": str(brand.id), "displays": 1}],
    }
    url = f"/v1/visits/{visit['id']}/audits"

    first = client.post(url, json=audit, headers=visit["headers"])
    replay = client.post(url, json=audit, headers=visit["headers"])
    changed = client.post(url, json=audit | {"displays": []}, headers=visit["headers"])

    assert (first.status_code, replay.status_code, changed.status_code) == (201, 200, 409)
    assert first.json() == replay.json()
    assert session.exec(select(func.count()).select_from(AuditLine)).one() == 2


@pytest.mark.parametrize(
    ("lines", "status"),
    [
        ([], 422),
        ([{"sku_id": "UNKNOWN", "quantity": "1", "price": "1"}], 422),
        ([{"sku_id": "SKU", "quantity": "0", "price": "1"}], 422),
        ([{"sku_id": "SKU", "quantity": "1", "price": "-1"}], 422),
        ([{"sku_id": "SKU", "quantity": "2", "price": "1"}] * 2, 422),
        ([{"sku_id": "SKU", "quantity": "3", "price": "1.50"}], 201),
    ],
)
def test_order_lines_are_validated(
    client: TestClient,
    session: Session,
    visit: dict[str, Any],
    lines: list[dict[str, str]],
    status: int,
) -> None:
    sku = create_sku(session)
    ids = {"SKU": str(sku.id), "UNKNOWN": str(uuid.uuid4())}
    order = {
        "id": str(uuid.uuid4()),
        "lines": [line | {"sku_id": ids[line["sku_id"]]} for line in lines],
    }

    response = client.post(f"/v1/visits/{visit['id']}/orders", json=order, headers=visit["headers"])

    assert response.status_code == status
    stored = session.exec(select(func.count()).select_from(OrderLine)).one()
    assert stored == (1 if status == 201 else 0)
    if status == 201:
        assert response.json()["total"] == "4.50"


def test_checked_out_visit_is_immutable_but_replays_still_answer(
    client: TestClient, session: Session, visit: dict[str, Any]
) -> None:
    sku = create_sku(session)
    headers = visit["headers"]
    order = {
        "id": str(uuid.uuid4()),
        "lines": [{"sku_id": str(sku.id), "quantity": "1", "price": "2"}],
    }
    client.post(f"/v1/visits/{visit['id']}/orders", json=order, headers=headers)
    client.post(
        f"/v1/visits/{visit['id']}/checkout",
        json={"ended_at": (NOW + timedelta(minutes=10)).isoformat()},
        headers=headers,
    )

    replay = client.post(f"/v1/visits/{visit['id']}/orders", json=order, headers=headers)
    late = client.post(
        f"/v1/visits/{visit['id']}/orders", json=order | {"id": str(uuid.uuid4())}, headers=headers
    )

    assert replay.status_code == 200
    assert late.status_code == 409
    assert session.exec(select(func.count()).select_from(OrderLine)).one() == 1


def test_another_reps_visit_does_not_exist(
    client: TestClient, session: Session, visit: dict[str, Any]
) -> None:
    stranger = sign_in(client, create_user(session, role=Role.rep))

    response = client.post(
        f"/v1/visits/{visit['id']}/audits", json={"id": str(uuid.uuid4())}, headers=stranger
    )

    assert response.status_code == 404
