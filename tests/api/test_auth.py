"""Signing in, tokens and who am I."""

from __future__ import annotations

from datetime import timedelta

import jwt
import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from api.tokens import ALGORITHM
from models.base import utcnow
from models.users import Role
from tests.factories.users import PASSWORD, create_user, sign_in


def test_me_needs_a_token(client: TestClient) -> None:
    response = client.get("/v1/me")

    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"


def test_signed_in_user_sees_their_profile(client: TestClient, session: Session) -> None:
    user = create_user(session, role=Role.manager)

    response = client.get("/v1/me", headers=sign_in(client, user))

    assert response.status_code == 200
    assert response.json() | {"id": None} == {
        "id": None,
        "username": user.username,
        "role": "manager",
        "full_name": "",
        "territory_ids": [],
    }


def test_wrong_password_and_unknown_user_answer_alike(client: TestClient, session: Session) -> None:
    user = create_user(session)

    wrong = client.post("/v1/auth/token", data={"username": user.username, "password": "nope"})
    unknown = client.post("/v1/auth/token", data={"username": "ghost", "password": "nope"})

    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json() | {"request_id": None} == unknown.json() | {"request_id": None}


def test_refresh_gives_a_working_access_token(client: TestClient, session: Session) -> None:
    user = create_user(session)
    pair = client.post(
        "/v1/auth/token", data={"username": user.username, "password": PASSWORD}
    ).json()

    refreshed = client.post("/v1/auth/refresh", json={"refresh_token": pair["refresh_token"]})
    access = refreshed.json()["access_token"]

    assert refreshed.status_code == 200
    me = client.get("/v1/me", headers={"Authorization": f"Bearer {access}"})
    assert me.json()["username"] == user.username


def test_access_token_cannot_refresh(client: TestClient, session: Session) -> None:
    user = create_user(session)
    access = sign_in(client, user)["Authorization"].removeprefix("Bearer ")

    response = client.post("/v1/auth/refresh", json={"refresh_token": access})

    assert response.status_code == 401


@pytest.mark.parametrize(
    ("key", "lifetime", "detail"),
    [
        ("test-signing-key-0123456789abcdef", timedelta(minutes=-1), "The token has expired."),
        ("forged-signing-key-0123456789abcdef", timedelta(minutes=5), "The token is not valid."),
    ],
)
def test_expired_and_forged_tokens_are_refused(
    client: TestClient, session: Session, key: str, lifetime: timedelta, detail: str
) -> None:
    user = create_user(session)
    claims = {"sub": str(user.id), "kind": "access", "exp": utcnow() + lifetime}
    token = jwt.encode(claims, key, algorithm=ALGORITHM)

    response = client.get("/v1/me", headers={"Authorization": f"Bearer {token}"})

    assert response.status_code == 401
    assert response.json()["detail"] == detail


def test_disabled_account_is_refused(client: TestClient, session: Session) -> None:
    user = create_user(session)
    headers = sign_in(client, user)
    user.active = False
    session.add(user)
    session.flush()

    assert client.get("/v1/me", headers=headers).status_code == 401
