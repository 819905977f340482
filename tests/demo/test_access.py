"""The demo accounts sign in and see their own part of the market, and nothing else."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlmodel import Session, col, select

from api import tokens
from api.app import create_app
from models.demo import DEMO_USERS, FIELD_FORCE, DemoUser, seed_demo
from models.users import Role, User
from tests.demo.conftest import Market


@pytest.fixture(scope="module")
def market_client(market: Market) -> Iterator[TestClient]:
    with TestClient(create_app(market.settings)) as client:
        yield client


def _headers(market: Market, username: str) -> dict[str, str]:
    """Signed in as the tests' factories do: a token issued for the stored user."""
    with Session(market.engine) as session:
        user = session.exec(select(User).where(col(User.username) == username)).one()
    pair = tokens.issue(market.settings, user)
    return {"Authorization": f"Bearer {pair.access_token}"}


def _outlets_under(market: Market, code: str) -> set[str]:
    with Session(market.engine) as session:
        rows = session.execute(
            text(
                """WITH RECURSIVE tree AS (
                       SELECT id FROM territory WHERE code = :code
                       UNION ALL SELECT t.id FROM territory AS t JOIN tree ON t.parent_id = tree.id)
                   SELECT o.id::text FROM outlet AS o JOIN tree ON tree.id = o.territory_id"""
            ),
            {"code": code},
        )
        return {row[0] for row in rows}


def _visible(client: TestClient, headers: dict[str, str]) -> set[str]:
    response = client.get("/v1/outlets", params={"limit": 500}, headers=headers)
    assert response.status_code == 200, response.text
    assert response.json()["next_cursor"] is None
    return {item["id"] for item in response.json()["items"]}


def test_demo_rep_signs_in_with_the_printed_password(
    market: Market, market_client: TestClient
) -> None:
    rep = next(user for user in DEMO_USERS if user.role == Role.rep)
    wrong = market_client.post(
        "/v1/auth/token", data={"username": rep.username, "password": "not-it"}
    )

    response = market_client.post(
        "/v1/auth/token", data={"username": rep.username, "password": rep.password}
    )

    assert wrong.status_code == 401
    assert response.status_code == 200
    me = market_client.get(
        "/v1/me", headers={"Authorization": f"Bearer {response.json()['access_token']}"}
    )
    assert me.json()["territory_ids"] != []


@pytest.mark.parametrize(
    ("username", "territory"),
    [
        ("rep", "FR-LYO-CEN-01"),
        ("thomas.robin", "FR-LYO-EST-06"),
        ("manager", "FR-LYO-CEN"),
        ("isabelle.moreau", "FR"),
        ("planner", "FR"),
    ],
)
def test_each_account_sees_exactly_its_territory(
    market: Market, market_client: TestClient, username: str, territory: str
) -> None:
    expected = _outlets_under(market, territory)

    visible = _visible(market_client, _headers(market, username))

    assert expected
    assert visible == expected


def test_a_rep_gets_404_for_an_outlet_of_another_territory(
    market: Market, market_client: TestClient
) -> None:
    elsewhere = sorted(_outlets_under(market, "FR-LYO-EST-06"))[0]

    response = market_client.get(f"/v1/outlets/{elsewhere}", headers=_headers(market, "rep"))

    assert response.status_code == 404


def test_every_field_account_has_its_role_and_territory(market: Market) -> None:
    with Session(market.engine) as session:
        rows = session.execute(
            text(
                """SELECT u.username, u.role::text, coalesce(min(t.code), '')
                   FROM app_user AS u LEFT JOIN user_territory AS ut ON ut.user_id = u.id
                   LEFT JOIN territory AS t ON t.id = ut.territory_id GROUP BY u.username, u.role"""
            )
        ).all()

    assert sorted(rows) == sorted((u.username, u.role.value, u.territory) for u in FIELD_FORCE)
    assert sum(u.role == Role.rep for u in FIELD_FORCE) == 20
    assert sum(u.role == Role.manager for u in FIELD_FORCE) == 4


def test_seed_demo_alone_still_adds_the_four_accounts_once(session: Session) -> None:
    first = seed_demo(session)
    second = seed_demo(session)

    assert (first, second) == (4, 0)
    assert all(isinstance(user, DemoUser) for user in DEMO_USERS)
